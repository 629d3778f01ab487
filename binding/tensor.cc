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

}  // namespace

Napi::Function Tensor::define_class(Napi::Env env) {
  return DefineClass(env, "NativeTensor",
                     {
                         InstanceAccessor<&Tensor::get_shape>("shape"),
                         InstanceAccessor<&Tensor::get_dtype>("dtype"),
                         InstanceAccessor<&Tensor::get_device>("device"),
                         InstanceAccessor<&Tensor::get_disposed>("disposed"),
                         InstanceMethod<&Tensor::dispose>("dispose"),
                         InstanceMethod<&Tensor::read>("read"),
                         InstanceMethod<&Tensor::write>("write"),
                         InstanceMethod<&Tensor::copy_from>("copyFrom"),
                         InstanceMethod<&Tensor::to>("to"),
                         InstanceMethod<&Tensor::reshape>("reshape"),
                         InstanceMethod<&Tensor::shares_memory>("sharesMemory"),
                     });
}

Napi::Object Tensor::create_view(Napi::Env env, const Shape& shape, DType dtype, std::shared_ptr<Storage> storage) {
  Construction c{shape, dtype, std::move(storage)};
  return addon_data(env).tensor_constructor.New({Napi::External<Construction>::New(env, &c)});
}

Napi::Object Tensor::create(Napi::Env env, const Shape& shape, DType dtype, Device device) {
  const size_t bytes = static_cast<size_t>(shape_size(shape)) * dtype_size(dtype);
  return create_view(env, shape, dtype, std::make_shared<Storage>(bytes, device));
}

bool Tensor::is_tensor(Napi::Env env, const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(addon_data(env).tensor_constructor.Value());
}

Tensor::Tensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tensor>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "NativeTensor cannot be constructed directly; use the tensor functions");
  auto* c = info[0].As<Napi::External<Construction>>().Data();
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

// read(): a copy of the contents as a new Float32Array or Uint8Array.
Napi::Value Tensor::read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  expect_live(*this, env, "read");
  const size_t bytes = byte_length();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  try {
    copy_bytes(buffer.Data(), Device{}, data(), device(), bytes);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("tensor.read: ") + e.what());
  }
  if (dtype_ == DType::Float32) return Napi::Float32Array::New(env, bytes / 4, buffer, 0);
  if (dtype_ == DType::Int32) return Napi::Int32Array::New(env, bytes / 4, buffer, 0);
  return Napi::Uint8Array::New(env, bytes, buffer, 0);
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
  const auto* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
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
  } catch (const std::exception& e) {
    throw Napi::TypeError::New(env, std::string("tensor.reshape: ") + e.what());
  }
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
