"""A long-lived child of the differential run: ``python -m tests.differential.worker SIDE
SEEDS_DIR LIMIT_BYTES``. It caps its own address space (RLIMIT_AS) before importing any reader,
then answers one JSON line per request line ``{"case": id}`` on stdin: it rebuilds the case
from its id (gen.make_case), writes it to a private temp file and reports what SIDE ("mwt" or
"oracle") makes of it (probe.py). A MemoryError is reported as a limit hit and the child exits
(its heap may be in a bad state); the parent restarts it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile


def main() -> int:
    side, seeds_dir, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    from . import gen, probe

    seeds = gen.writer_seeds(seeds_dir)
    if side == "mwt":
        import mwt  # noqa: F401 - loaded once, before the first case
    else:
        import gguf  # noqa: F401
        import safetensors  # noqa: F401
    tmp = tempfile.mkdtemp(prefix=f"{side}-", dir=os.path.dirname(os.path.abspath(seeds_dir)))
    out = sys.stdout
    for line in sys.stdin:
        req = json.loads(line)
        case = gen.make_case(int(req["case"]), seeds)
        path = os.path.join(tmp, f"case{case.suffix}")
        with open(path, "wb") as f:
            f.write(case.data)
        try:
            if side == "mwt":
                res = probe.mwt_outcome(path)
                if not res["ok"]:
                    relaxed = {"gguf_allow_invalid_utf8": 1, "gguf_strict_bool": 0,
                               "safetensors_strict": 0, "limits_max_json_depth": 1000}
                    res["relaxed"] = probe.mwt_outcome(path, **relaxed)
            elif case.fmt == "gguf":
                res = probe.gguf_py_outcome(path)
            else:
                res = probe.safetensors_outcome(path)
        except MemoryError:
            out.write(json.dumps({"case": case.case_id, "limit": True}) + "\n")
            out.flush()
            return 3
        except Exception as e:  # not an mwt.MwtError: a failure of mwt's Python layer
            res = {"ok": False, "exception": type(e).__name__, "msg": str(e)[:300]}
        finally:
            os.unlink(path)
        res["case"] = case.case_id
        out.write(json.dumps(res) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
