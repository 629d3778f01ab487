#include "tensor.h"

#include "addon_data.h"
#include "args.h"

namespace wsr::binding {

int64_t shape_size(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

// Passed to the constructor by create(); JavaScript cannot forge it, so `new Tensor()` from JS fails.
struct Construction {
  Shape shape;
  DType dtype;
  std::shared_ptr<Storage> storage;
};

// Type tags (N-API 8). Every NativeTensor object carries kTensorTag, and only tagged objects are
// ever unwrapped: `instanceof` is not enough, since Object.create(NativeTensor.prototype) passes it
// without being wrapped, and an object wrapped by another addon (given NativeTensor.prototype with
// Object.setPrototypeOf) would unwrap to a pointer of another type. The construction External is
// tagged too, so an External from elsewhere cannot pose as one.
constexpr napi_type_tag kTensorTag = {0x7773722d6e617469ULL, 0x76652d74656e736fULL};
constexpr napi_type_tag kConstructionTag = {0x7773722d6e617469ULL, 0x76652d636f6e7374ULL};

std::string describe_receiver(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_object: return v.IsArray() ? "an array" : "an object that is not a NativeTensor";
    case napi_function: return "a function";
    default: return "a primitive";
  }
}

}  // namespace

Napi::Function Tensor::define_class(Napi::Env env) {
  // The methods and accessors are plain functions on the prototype that check `this` themselves
  // (dispatch below) rather than ObjectWrap's InstanceMethod/InstanceAccessor, which unwrap any
  // receiver: an accessor called on a foreign object would fail with N-API's bare "Invalid
  // argument", or read another addon's object as a Tensor.
  Napi::Function cls = DefineClass(env, "NativeTensor", {});
  Napi::Object prototype = cls.Get("prototype").As<Napi::Object>();
  auto name = [](const char* n) { return const_cast<char*>(n); };
  prototype.DefineProperties({
      Napi::PropertyDescriptor::Accessor<&Tensor::dispatch<&Tensor::get_shape>>("shape", napi_default, name("shape")),
      Napi::PropertyDescriptor::Accessor<&Tensor::dispatch<&Tensor::get_dtype>>("dtype", napi_default, name("dtype")),
      Napi::PropertyDescriptor::Accessor<&Tensor::dispatch<&Tensor::get_device>>("device", napi_default, name("device")),
      Napi::PropertyDescriptor::Accessor<&Tensor::dispatch<&Tensor::get_disposed>>("disposed", napi_default,
                                                                                  name("disposed")),
  });
  const std::pair<const char*, Napi::Function::Callback> methods[] = {
      {"dispose", &Tensor::dispatch<&Tensor::dispose>},   {"read", &Tensor::dispatch<&Tensor::read>},
      {"write", &Tensor::dispatch<&Tensor::write>},       {"copyFrom", &Tensor::dispatch<&Tensor::copy_from>},
      {"to", &Tensor::dispatch<&Tensor::to>},             {"reshape", &Tensor::dispatch<&Tensor::reshape>},
      {"sharesMemory", &Tensor::dispatch<&Tensor::shares_memory>},
  };
  for (const auto& [method, callback] : methods) {
    prototype.DefineProperty(
        Napi::PropertyDescriptor::Value(method, Napi::Function::New(env, callback, method, name(method)), napi_default));
  }
  return cls;
}

Tensor& Tensor::unwrap_this(const Napi::CallbackInfo& info) {
  const char* member = static_cast<const char*>(info.Data());
  Napi::Value self = info.This();
  Tensor* t = is_tensor(info.Env(), self) ? Unwrap(self.As<Napi::Object>()) : nullptr;
  if (!t)
    throw Napi::TypeError::New(info.Env(), std::string("tensor.") + member + ": called on " + describe_receiver(self) +
                                               "; call it on a NativeTensor");
  return *t;
}

Napi::Object Tensor::create_view(Napi::Env env, const Shape& shape, DType dtype, std::shared_ptr<Storage> storage) {
  Construction c{shape, dtype, std::move(storage)};
  Napi::External<Construction> external = Napi::External<Construction>::New(env, &c);
  external.TypeTag(&kConstructionTag);
  return addon_data(env).tensor_constructor.New({external});
}

Napi::Object Tensor::create(Napi::Env env, const Shape& shape, DType dtype, Device device) {
  const size_t bytes = static_cast<size_t>(shape_size(shape)) * dtype_size(dtype);
  return create_view(env, shape, dtype, std::make_shared<Storage>(bytes, device));
}

bool Tensor::is_tensor(Napi::Env, const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().CheckTypeTag(&kTensorTag);
}

Tensor::Tensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tensor>(info) {
  if (info.Length() != 1 || !info[0].IsExternal() || !info[0].As<Napi::External<Construction>>().CheckTypeTag(&kConstructionTag))
    throw Napi::TypeError::New(info.Env(), "NativeTensor cannot be constructed directly; use the tensor functions");
  auto* c = info[0].As<Napi::External<Construction>>().Data();
  info.This().As<Napi::Object>().TypeTag(&kTensorTag);
  attach(c->shape, c->dtype, std::move(c->storage));
}

Tensor::~Tensor() { release(); }

void Tensor::attach(const Shape& shape, DType dtype, std::shared_ptr<Storage> storage) {
  shape_ = shape;
  dtype_ = dtype;
  storage_ = std::move(storage);
  // Only the owner of a fresh buffer reports it; views share an already-reported buffer.
  if (storage_.use_count() == 1) {
    reported_bytes_ = static_cast<int64_t>(storage_->bytes());
    Napi::MemoryManagement::AdjustExternalMemory(Env(), reported_bytes_);
  }
}

void Tensor::release() {
  storage_.reset();
  if (reported_bytes_) {
    Napi::MemoryManagement::AdjustExternalMemory(Env(), -reported_bytes_);
    reported_bytes_ = 0;
  }
}

Napi::Value Tensor::get_shape(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env(), shape_.size());
  for (size_t i = 0; i < shape_.size(); ++i) a.Set(i, Napi::Number::New(info.Env(), static_cast<double>(shape_[i])));
  return a;
}

Napi::Value Tensor::get_dtype(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), dtype_name(dtype_)); }

Napi::Value Tensor::get_device(const Napi::CallbackInfo& info) {
  if (disposed()) return info.Env().Null();
  return Napi::String::New(info.Env(), device().str());
}

Napi::Value Tensor::get_disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed()); }

Napi::Value Tensor::dispose(const Napi::CallbackInfo& info) {
  release();
  return info.Env().Undefined();
}

static void expect_live(const Tensor& t, const Napi::Env& env, const char* method) {
  if (t.disposed()) throw Napi::Error::New(env, std::string("tensor.") + method + ": the tensor has been disposed");
}

// read(): a copy of the contents as a new Float32Array, Uint8Array or Int32Array.
// The ArrayBuffer comes from JavaScript's own constructor, not napi_create_arraybuffer: V8 ends
// the process ("FATAL ERROR: v8::ArrayBuffer::New Allocation failed") when the latter cannot
// allocate, while `new ArrayBuffer(n)` throws a RangeError. The typed array is made before the
// copy, so an array longer than JavaScript allows fails before any memory is touched.
Napi::Value Tensor::read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_live(*this, env, "read");
  const size_t bytes = byte_length();
  Napi::TypedArray array;
  Napi::ArrayBuffer buffer;
  try {
    buffer = addon_data(env).array_buffer_constructor.New({Napi::Number::New(env, static_cast<double>(bytes))})
                 .As<Napi::ArrayBuffer>();
    if (dtype_ == DType::Float32)
      array = Napi::Float32Array::New(env, bytes / 4, buffer, 0);
    else if (dtype_ == DType::Int32)
      array = Napi::Int32Array::New(env, bytes / 4, buffer, 0);
    else
      array = Napi::Uint8Array::New(env, bytes, buffer, 0);
  } catch (const Napi::Error& e) {
    throw Napi::RangeError::New(env, "tensor.read: cannot make a typed array of " + std::to_string(size()) +
                                         " elements (" + std::to_string(bytes) + " bytes): " + e.Message());
  }
  try {
    copy_bytes(buffer.Data(), Device{}, data(), device(), bytes);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("tensor.read: ") + e.what());
  }
  return array;
}

static const char* typed_array_name(DType t) {
  switch (t) {
    case DType::Float32: return "Float32Array";
    case DType::Uint8: return "Uint8Array";
    default: return "Int32Array";
  }
}

// write(typedArray): replaces the contents; the array's type and length must match.
Napi::Value Tensor::write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_live(*this, env, "write");
  if (info.Length() < 1 || !info[0].IsTypedArray())
    throw Napi::TypeError::New(env, std::string("tensor.write: expected a ") + typed_array_name(dtype_));
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  const napi_typedarray_type want = dtype_ == DType::Float32 ? napi_float32_array
                                    : dtype_ == DType::Int32 ? napi_int32_array
                                                             : napi_uint8_array;
  if (array.TypedArrayType() != want)
    throw Napi::TypeError::New(env, std::string("tensor.write: a ") + dtype_name(dtype_) + " tensor needs a " +
                                        typed_array_name(dtype_));
  if (static_cast<int64_t>(array.ElementLength()) != size())
    throw Napi::RangeError::New(env, "tensor.write: array has " + std::to_string(array.ElementLength()) +
                                         " elements but the tensor of shape " + shape_str(shape_) + " has " +
                                         std::to_string(size()));
  // The element pointer straight from N-API: TypedArray::ArrayBuffer() fails on an array over a
  // SharedArrayBuffer. A detached array has no data and length 0 (it only matches an empty tensor).
  void* src = nullptr;
  if (napi_get_typedarray_info(env, array, nullptr, nullptr, &src, nullptr, nullptr) != napi_ok)
    throw Napi::TypeError::New(env, "tensor.write: cannot read the typed array");
  try {
    copy_bytes(data(), device(), src, Device{}, byte_length());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("tensor.write: ") + e.what());
  }
  return info.This();
}

// copyFrom(other): copies another tensor of the same shape and type, from any device.
Napi::Value Tensor::copy_from(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_live(*this, env, "copyFrom");
  if (info.Length() < 1 || !is_tensor(env, info[0]))
    throw Napi::TypeError::New(env, "tensor.copyFrom: expected a tensor");
  Tensor* src = Unwrap(info[0].As<Napi::Object>());
  if (src->disposed()) throw Napi::Error::New(env, "tensor.copyFrom: the source tensor has been disposed");
  if (src->shape_ != shape_ || src->dtype_ != dtype_)
    throw Napi::RangeError::New(env, "tensor.copyFrom: source is " + std::string(dtype_name(src->dtype_)) +
                                         shape_str(src->shape_) + " but this tensor is " + dtype_name(dtype_) +
                                         shape_str(shape_));
  if (src->storage_ == storage_) return info.This();
  try {
    copy_bytes(data(), device(), src->data(), src->device(), byte_length());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("tensor.copyFrom: ") + e.what());
  }
  return info.This();
}

// to(device): a copy on another device (a copy even when the device is the same).
Napi::Value Tensor::to(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_live(*this, env, "to");
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "tensor.to: expected a device string");
  try {
    const Device target = parse_device(info[0].As<Napi::String>().Utf8Value());
    Napi::Object out = create(env, shape_, dtype_, target);
    copy_bytes(Unwrap(out)->data(), target, data(), device(), byte_length());
    return out;
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("tensor.to: ") + e.what());
  }
}

// reshape(shape): a view sharing this tensor's memory, with the same element count.
Napi::Value Tensor::reshape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_live(*this, env, "reshape");
  Shape shape;
  try {
    shape = shape_arg(info, 0, "shape");
  } catch (const Napi::Error& e) {  // thrown by JavaScript: a getter on the array
    Napi::Error named = Napi::Error::New(env, "tensor.reshape: " + exception_message(e));
    named.Set("cause", e.Value());
    throw named;
  } catch (const std::exception& e) {
    throw Napi::TypeError::New(env, std::string("tensor.reshape: ") + e.what());
  }
  // Reading the shape array can run JavaScript (an element getter) that disposes this tensor.
  expect_live(*this, env, "reshape");
  if (shape_size(shape) != size())
    throw Napi::RangeError::New(env, "tensor.reshape: cannot view " + shape_str(shape_) + " as " + shape_str(shape) +
                                         " (element counts differ)");
  return create_view(env, shape, dtype_, storage_);
}

Napi::Value Tensor::shares_memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !is_tensor(env, info[0])) throw Napi::TypeError::New(env, "tensor.sharesMemory: expected a tensor");
  Tensor* other = Unwrap(info[0].As<Napi::Object>());
  return Napi::Boolean::New(env, !disposed() && storage_ == other->storage_);
}

}  // namespace wsr::binding
