/* abi_probe_stray.c — one mwt_-prefixed function that mwt.h does not declare. Linked with the
 * library's objects into the probe library of the ctest abi_exports_catches_stray, which
 * requires tools/check_exports.py to report it. Not part of libmwt. */
#include <mwt/mwt.h>

MWT_API int mwt_abi_probe_stray(void);
MWT_API int mwt_abi_probe_stray(void) { return 1; }
