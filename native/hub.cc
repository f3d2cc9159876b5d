#include "hub.h"
#include <algorithm>

namespace vk {

std::shared_ptr<Hub> Hub::Create(Napi::Env env) {
  std::shared_ptr<Hub> h(new Hub());
  h->env_ = env;
  napi_value name;
  napi_create_string_utf8(env, "virtkit", NAPI_AUTO_LENGTH, &name);
  napi_value resource;
  napi_create_object(env, &resource);
  napi_async_init(env, resource, name, &h->async_ctx_);
  uv_loop_t* loop = nullptr;
  NAPI_THROW_IF_FAILED(env, napi_get_uv_event_loop(env, &loop), nullptr);
  h->async_ = new uv_async_t();
  h->async_->data = h.get();
  uv_async_init(loop, h->async_, OnAsync);
  uv_unref(reinterpret_cast<uv_handle_t*>(h->async_));  // only calls in flight keep Node alive
  h->self_ = new std::shared_ptr<Hub>(h);
  napi_add_async_cleanup_hook(env, Cleanup, h->self_, &h->cleanup_);
  return h;
}

Hub::~Hub() {
  for (Msg* m : queue_) delete m;
}

void Hub::Cleanup(napi_async_cleanup_hook_handle, void* arg) {
  auto* self = static_cast<std::shared_ptr<Hub>*>(arg);
  Hub* h = self->get();
  std::deque<Msg*> drop;
  {
    std::lock_guard<std::mutex> l(h->mu_);
    h->alive_ = false;
    drop.swap(h->queue_);
  }
  for (Msg* m : drop) delete m;
  h->targets_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(h->async_), [](uv_handle_t* handle) {
    auto* self = static_cast<std::shared_ptr<Hub>*>(static_cast<Hub*>(handle->data)->self_);
    Hub* h = self->get();
    delete reinterpret_cast<uv_async_t*>(handle);
    h->async_ = nullptr;
    napi_remove_async_cleanup_hook(h->cleanup_);
    h->self_ = nullptr;
    delete self;  // other owners (event callbacks still registered with libvirt) may keep it
  });
}

bool Hub::alive() {
  std::lock_guard<std::mutex> l(mu_);
  return alive_;
}

void Hub::Post(Msg* m) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (alive_) {
      queue_.push_back(m);
      if (!signalled_) {
        signalled_ = true;
        uv_async_send(async_);
      }
      return;
    }
  }
  delete m;
}

void Hub::OnAsync(uv_async_t* a) { static_cast<Hub*>(a->data)->Drain(); }

void Hub::Drain() {
  std::vector<Msg*> batch;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!alive_) return;
    size_t n = std::min(queue_.size(), kBatch);
    batch.assign(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    // More waiting: take them on the next turn of the loop (timers and I/O run in between).
    signalled_ = !queue_.empty();
    if (signalled_) uv_async_send(async_);
  }
  napi_env env = env_;
  Napi::Env e(env);
  napi_handle_scope outer;
  napi_open_handle_scope(env, &outer);
  napi_value resource;
  napi_create_object(env, &resource);
  napi_callback_scope scope = nullptr;
  bool scoped = napi_open_callback_scope(env, resource, async_ctx_, &scope) == napi_ok;
  for (Msg* m : batch) {
    napi_handle_scope hs;
    napi_open_handle_scope(env, &hs);
    try {
      m->Deliver(e);
    } catch (const Napi::Error& err) {
      // A listener threw: surface it as Node would, as an uncaught exception.
      napi_fatal_exception(env, err.Value());
    } catch (...) {
    }
    napi_close_handle_scope(env, hs);
    delete m;
  }
  // Closing the outermost callback scope runs the promise reactions of this batch.
  if (scoped) napi_close_callback_scope(env, scope);
  napi_close_handle_scope(env, outer);
}

void Hub::Hold() {
  if (holds_++ == 0 && async_) uv_ref(reinterpret_cast<uv_handle_t*>(async_));
}
void Hub::Unhold() {
  if (--holds_ == 0 && async_) uv_unref(reinterpret_cast<uv_handle_t*>(async_));
}

uint64_t Hub::AddTarget(void* target) {
  uint64_t id = nextTarget_++;
  targets_[id] = target;
  return id;
}
void Hub::RemoveTarget(uint64_t id) { targets_.erase(id); }
void* Hub::Target(uint64_t id) {
  auto it = targets_.find(id);
  return it == targets_.end() ? nullptr : it->second;
}

}  // namespace vk
