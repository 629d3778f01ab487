// The JavaScript-visible tensor: a shape, an element type and a reference to device memory.
#pragma once
#include <napi.h>

#include <memory>
#include <vector>

#include "device.h"

namespace wsr::binding {

using Shape = std::vector<int64_t>;
int64_t shape_size(const Shape& shape);
std::string shape_str(const Shape& shape);

class Tensor : public Napi::ObjectWrap<Tensor> {
 public:
  static Napi::Function define_class(Napi::Env env);
  // Creates a new tensor object owning fresh (uninitialised) memory.
  static Napi::Object create(Napi::Env env, const Shape& shape, DType dtype, Device device);
  // Creates a tensor object sharing `storage` (a view with another shape).
  static Napi::Object create_view(Napi::Env env, const Shape& shape, DType dtype, std::shared_ptr<Storage> storage);
  static bool is_tensor(Napi::Env env, const Napi::Value& value);

  explicit Tensor(const Napi::CallbackInfo& info);
  ~Tensor() override;

  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_[i]; }
  size_t rank() const { return shape_.size(); }
  int64_t size() const { return shape_size(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  bool disposed() const { return storage_ == nullptr; }
  float* f32() const { return static_cast<float*>(storage_->data()); }
  uint8_t* u8() const { return static_cast<uint8_t*>(storage_->data()); }
  int32_t* i32() const { return static_cast<int32_t*>(storage_->data()); }
  void* data() const { return storage_->data(); }
  size_t byte_length() const { return static_cast<size_t>(size()) * dtype_size(dtype_); }

 private:
  // The tensor a method or accessor was called on; a TypeError naming the member (info.Data())
  // when `this` is anything else.
  static Tensor& unwrap_this(const Napi::CallbackInfo& info);
  template <Napi::Value (Tensor::*Member)(const Napi::CallbackInfo&)>
  static Napi::Value dispatch(const Napi::CallbackInfo& info) {
    return (unwrap_this(info).*Member)(info);
  }

  void attach(const Shape& shape, DType dtype, std::shared_ptr<Storage> storage);
  void release();

  Napi::Value get_shape(const Napi::CallbackInfo& info);
  Napi::Value get_dtype(const Napi::CallbackInfo& info);
  Napi::Value get_device(const Napi::CallbackInfo& info);
  Napi::Value get_disposed(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value read(const Napi::CallbackInfo& info);
  Napi::Value write(const Napi::CallbackInfo& info);
  Napi::Value copy_from(const Napi::CallbackInfo& info);
  Napi::Value to(const Napi::CallbackInfo& info);
  Napi::Value reshape(const Napi::CallbackInfo& info);
  Napi::Value shares_memory(const Napi::CallbackInfo& info);

  Shape shape_;
  DType dtype_ = DType::Float32;
  std::shared_ptr<Storage> storage_;
  int64_t reported_bytes_ = 0;  // external memory reported to V8, so GC sees native tensors
};

}  // namespace wsr::binding
