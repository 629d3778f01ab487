#include "args.h"

#include <cmath>

namespace wsr::binding {

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return v.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      char buf[64];
      snprintf(buf, sizeof buf, "%.17g", d);
      return buf;
    }
    case napi_string: {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "'" + s + "'";
    }
    case napi_object: return v.IsArray() ? "an array" : "an object";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return "a symbol";
  }
}

std::string exception_message(const Napi::Error& e) {
  const Napi::Value thrown = e.Value();
  const std::string message = thrown.IsObject() ? e.Message() : "threw " + describe(thrown);
  return message.empty() ? "a JavaScript exception without a message" : message;
}

namespace {

Napi::Value arg(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

}  // namespace

void expect_arg_count(const Napi::CallbackInfo& info, size_t count) {
  if (info.Length() < count)
    throw ArgumentTypeError("expected " + std::to_string(count) + " arguments, got " + std::to_string(info.Length()));
}

Tensor& tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i);
  if (!Tensor::is_tensor(info.Env(), v))
    throw ArgumentTypeError(std::string(name) + " must be a tensor, got " + describe(v));
  Tensor* t = Tensor::Unwrap(v.As<Napi::Object>());
  if (t->disposed()) throw ArgumentTypeError(std::string(name) + " is a disposed tensor");
  return *t;
}

Tensor* optional_tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return &tensor_arg(info, i, name);
}

double number_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i);
  if (!v.IsNumber()) throw ArgumentTypeError(std::string(name) + " must be a number, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw ArgumentRangeError(std::string(name) + " must be finite, got " + describe(v));
  return d;
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = arg(info, i);
  if (!v.IsNumber()) throw ArgumentTypeError(std::string(name) + " must be an integer, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d)
    throw ArgumentRangeError(std::string(name) + " must be an integer, got " + describe(v));
  if (d < static_cast<double>(min) || d > static_cast<double>(max))
    throw ArgumentRangeError(std::string(name) + " must be in [" + std::to_string(min) + ", " +
                             std::to_string(max) + "], got " + describe(v));
  return static_cast<int64_t>(d);
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i);
  if (!v.IsBoolean()) throw ArgumentTypeError(std::string(name) + " must be a boolean, got " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i);
  if (!v.IsString()) throw ArgumentTypeError(std::string(name) + " must be a string, got " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

Shape shape_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i);
  if (!v.IsArray()) throw ArgumentTypeError(std::string(name) + " must be an array of sizes, got " + describe(v));
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > 8) throw ArgumentRangeError(std::string(name) + " has " + std::to_string(a.Length()) + " dimensions; at most 8 are supported");
  Shape shape;
  int64_t total = 1;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value d = a.Get(k);
    const std::string what = std::string(name) + "[" + std::to_string(k) + "]";
    if (!d.IsNumber()) throw ArgumentTypeError(what + " must be an integer, got " + describe(d));
    const double x = d.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(x) || std::floor(x) != x || x < 0 || x > static_cast<double>(kMaxDim))
      throw ArgumentRangeError(what + " must be an integer in [0, " + std::to_string(kMaxDim) + "], got " + describe(d));
    const int64_t n = static_cast<int64_t>(x);
    if (n != 0 && total > kMaxElements / n)
      throw ArgumentRangeError(std::string(name) + " has more than 2^40 elements");
    total *= n;
    shape.push_back(n);
  }
  return shape;
}

DType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const std::string s = string_arg(info, i, name);
  if (s == "float32") return DType::Float32;
  if (s == "uint8") return DType::Uint8;
  if (s == "int32") return DType::Int32;
  throw ArgumentRangeError(std::string(name) + " must be 'float32', 'uint8' or 'int32', got '" + s + "'");
}

void expect_dtype(const Tensor& t, DType dtype, const char* name) {
  if (t.dtype() != dtype)
    throw ArgumentTypeError(std::string(name) + " must be " + dtype_name(dtype) + ", got " + dtype_name(t.dtype()));
}

void expect_rank(const Tensor& t, size_t rank, const char* name, const char* dims) {
  if (t.rank() != rank)
    throw ArgumentRangeError(std::string(name) + " must have " + std::to_string(rank) + " dimensions (" + dims +
                             "), got shape " + shape_str(t.shape()));
}

void expect_shape(const Tensor& t, const Shape& expected, const char* name) {
  if (t.shape() != expected)
    throw ArgumentRangeError(std::string(name) + " must have shape " + shape_str(expected) + ", got " +
                             shape_str(t.shape()));
}

void expect_distinct(const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  const char* a0 = static_cast<const char*>(a.data());
  const char* b0 = static_cast<const char*>(b.data());
  if (a0 < b0 + b.byte_length() && b0 < a0 + a.byte_length())
    throw ArgumentRangeError(std::string(a_name) + " and " + b_name + " must not share memory");
}

}  // namespace wsr::binding
