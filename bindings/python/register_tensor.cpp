// _native.TensorBase: the C-level base of mwt.Tensor, holding its read-only fields (file, _index,
// name, dtype, shape, nbytes, offset, shard). Listing a checkpoint builds one Tensor per tensor;
// built here with the CPython API, each costs a small allocation and a few integer objects
// instead of a Python-level __init__ call, which is most of what listing 700 tensors cost.
// The Python subclass (mwt/_file.py) adds the methods and declares no slots of its own.
#include <array>

#include "native.hpp"
#include "structmember.h"  // T_OBJECT_EX, T_PYSSIZET, READONLY (Python 3.11)

namespace mwt_py {
namespace {

struct TensorObject {
  PyObject_HEAD PyObject* file;  // the mwt.WeightFile
  PyObject* name;
  PyObject* dtype;
  PyObject* shape;
  PyObject* nbytes;
  PyObject* offset;
  PyObject* shard;
  Py_ssize_t index;
};

PyTypeObject* g_tensor_base = nullptr;

PyObject* newref(PyObject* o) {  // Py_NewRef, which Python 3.9 lacks
  Py_INCREF(o);
  return o;
}

// TensorBase itself is not a GC type: its fields are a WeightFile, str, int and a tuple of int.
// Python makes every class-statement subclass a GC type (an instance could be stored on its own
// class), so make_tensor untracks the instances it builds: mwt.Tensor adds no slots and no
// __dict__, and nothing a Tensor references holds Tensors (the WeightFile keeps only names and
// indices), so a Tensor is in no cycle unless a caller builds one through the class object or
// the WeightFile's lists. Untracked, the 700 Tensors of a listing cost the collector nothing.
void tensor_dealloc(PyObject* self) {
  auto* t = reinterpret_cast<TensorObject*>(self);
  PyTypeObject* type = Py_TYPE(self);
  Py_XDECREF(t->file);
  Py_XDECREF(t->name);
  Py_XDECREF(t->dtype);
  Py_XDECREF(t->shape);
  Py_XDECREF(t->nbytes);
  Py_XDECREF(t->offset);
  Py_XDECREF(t->shard);
  type->tp_free(self);
  Py_DECREF(type);  // instances of heap types own a reference to their type
}

// TensorBase(file, index, name, dtype, shape, nbytes, offset, shard): the Python-level
// constructor, kept so code that builds a Tensor by hand still can.
PyObject* tensor_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static const char* kw[] = {"file",   "index",  "name",  "dtype", "shape",
                             "nbytes", "offset", "shard", nullptr};
  PyObject *file, *name, *dtype, *shape, *nbytes, *offset, *shard;
  Py_ssize_t index;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OnUUO!OOO", const_cast<char**>(kw), &file, &index,
                                   &name, &dtype, &PyTuple_Type, &shape, &nbytes, &offset, &shard))
    return nullptr;
  auto* t = reinterpret_cast<TensorObject*>(type->tp_alloc(type, 0));
  if (!t) return nullptr;
  PyObject* fields[] = {file, name, dtype, shape, nbytes, offset, shard};
  for (PyObject* f : fields) Py_INCREF(f);
  t->file = file;
  t->name = name;
  t->dtype = dtype;
  t->shape = shape;
  t->nbytes = nbytes;
  t->offset = offset;
  t->shard = shard;
  t->index = index;
  return reinterpret_cast<PyObject*>(t);
}

PyMemberDef tensor_members[] = {
    {"file", T_OBJECT_EX, offsetof(TensorObject, file), READONLY, "The WeightFile."},
    {"_index", T_PYSSIZET, offsetof(TensorObject, index), READONLY, nullptr},
    {"name", T_OBJECT_EX, offsetof(TensorObject, name), READONLY, "Tensor name."},
    {"dtype", T_OBJECT_EX, offsetof(TensorObject, dtype), READONLY,
     "dtype name (\"F32\", \"BF16\", \"Q4_K\", ...)."},
    {"shape", T_OBJECT_EX, offsetof(TensorObject, shape), READONLY, "Shape, numpy order."},
    {"nbytes", T_OBJECT_EX, offsetof(TensorObject, nbytes), READONLY, "Data size in bytes."},
    {"offset", T_OBJECT_EX, offsetof(TensorObject, offset), READONLY,
     "Absolute byte offset of the data in its shard."},
    {"shard", T_OBJECT_EX, offsetof(TensorObject, shard), READONLY, "Shard index (0 if one file)."},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot tensor_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(tensor_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(tensor_dealloc)},
    {Py_tp_members, tensor_members},
    {Py_tp_doc, const_cast<char*>("Fields of mwt.Tensor (read-only); use mwt.Tensor.")},
    {0, nullptr},
};

PyType_Spec tensor_spec = {
    "mwt._native.TensorBase",
    sizeof(TensorObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    tensor_slots,
};

PyObject* new_ref(PyObject* o) {
  if (!o) throw py::error_already_set();
  return o;
}

// One str per dtype name, made once (dtype names are a small fixed set).
PyObject* dtype_str(mwt_dtype dt) {
  static std::array<PyObject*, 256> cache{};
  const auto v = static_cast<unsigned>(dt);
  PyObject** slot = v < cache.size() ? &cache[v] : nullptr;
  if (slot && *slot) return newref(*slot);
  const char* n = mwt_dtype_name(dt);
  PyObject* s = new_ref(PyUnicode_InternFromString(n ? n : "INVALID"));
  if (slot) *slot = newref(s);
  return s;
}

}  // namespace

PyObject* make_tensor(PyTypeObject* cls, PyObject* file, const mwt_file* f, size_t i,
                      PyObject* name) {
  if (!PyType_IsSubtype(cls, g_tensor_base)) fail(MWT_E_ARGUMENT, "not a TensorBase subclass");
  mwt_dtype dt;
  check(mwt_file_tensor_dtype(f, i, &dt));
  size_t ndim = 0;
  const uint64_t* dims = nullptr;
  check(mwt_file_tensor_shape(f, i, &ndim, &dims));
  uint64_t nbytes = 0, offset = 0;
  size_t shard = 0;
  check(mwt_file_tensor_nbytes(f, i, &nbytes));
  check(mwt_file_tensor_offset(f, i, &offset, &shard));

  py::object t = py::reinterpret_steal<py::object>(new_ref(cls->tp_alloc(cls, 0)));
  if (PyObject_IS_GC(t.ptr())) PyObject_GC_UnTrack(t.ptr());  // see tensor_dealloc's comment
  auto* o = reinterpret_cast<TensorObject*>(t.ptr());
  // Fields are set as they are made, so a failure part-way leaves an object dealloc can free.
  o->index = static_cast<Py_ssize_t>(i);
  o->file = newref(file);
  o->name = newref(name);
  o->dtype = dtype_str(dt);
  o->shape = new_ref(PyTuple_New(static_cast<Py_ssize_t>(ndim)));
  for (size_t d = 0; d < ndim; ++d)
    PyTuple_SET_ITEM(o->shape, static_cast<Py_ssize_t>(d),
                     new_ref(PyLong_FromUnsignedLongLong(dims[d])));
  PyObject_GC_UnTrack(o->shape);  // ints only: what the collector itself would do on its next pass
  o->nbytes = new_ref(PyLong_FromUnsignedLongLong(nbytes));
  o->offset = new_ref(PyLong_FromUnsignedLongLong(offset));
  o->shard = new_ref(PyLong_FromSize_t(shard));
  return t.release().ptr();
}

void register_tensor(py::module_& m) {
  PyObject* type = PyType_FromSpec(&tensor_spec);
  if (!type) throw py::error_already_set();
  g_tensor_base = reinterpret_cast<PyTypeObject*>(type);  // the module keeps it alive
  m.add_object("TensorBase", py::reinterpret_steal<py::object>(type));
}

}  // namespace mwt_py
