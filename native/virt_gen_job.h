// The job of one generated call and its instantiation per signature (virt_gen.h): Fn<>
// checks the holders' C types, GenJob<> reads, calls and delivers, VK_GEN builds a table line.
#pragma once
#include "virt_gen_returns.h"

namespace vk {
namespace gen {

template <typename R, typename... H>
inline void (*Fn(typename R::C (*f)(typename H::C...)))() {
  return reinterpret_cast<void (*)()>(f);
}

Napi::Value Assemble(Napi::Env env, const char* outs, std::vector<Napi::Value>& vals, Napi::Value ret);
// Refuses extra JS arguments (INVALID_ARGUMENT): generated methods and overrides alike.
void CheckNoMore(ReadCtx& rc);

template <typename R, typename = void>
struct IsBorrowed : std::false_type {};
template <typename R>
struct IsBorrowed<R, std::void_t<decltype(R::kBorrowed)>> : std::true_type {};

// The job of one generated call: the promise, the hub, delivery (virt_gen.cc). Not a template,
// so that each signature instantiates only its own Call/Done/Discard.
class GenJobBase : public Task, public Msg {
 public:
  explicit GenJobBase(const GenMethod& m) : m_(m) {}
  napi_value Start(Napi::Env env);
  // For calls that make no RPC (cached names, UUIDs): run here, return the value or throw; deletes this.
  Napi::Value RunHere(Napi::Env env);
  void Run() final;
  void Deliver(Napi::Env env) final;

 protected:
  virtual void Call(NativeError& e) = 0;          // call thread: the C call, then drop references
  virtual Napi::Value Done(Napi::Env env) = 0;    // main thread: the result
  // A successful result never delivered (env gone first): the derived destructor frees it.
  bool Undelivered() const { return ok_ && !delivered_; }
  const GenMethod& m_;

 private:
  std::shared_ptr<Hub> hub_;
  napi_deferred deferred_ = nullptr;
  NativeError err_;
  bool ok_ = false, delivered_ = false;
};

template <typename R, typename... H>
class GenJob final : public GenJobBase {
 public:
  using GenJobBase::GenJobBase;
  using Seq = std::index_sequence_for<H...>;
  void Read(ReadCtx& rc) { ReadAll(rc, Seq{}); }
  ~GenJob() override {
    if (Undelivered()) DiscardAll(Seq{});
  }

 protected:
  void Call(NativeError& e) override { CallAll(e, Seq{}); }
  Napi::Value Done(Napi::Env env) override { return DoneAll(env, Seq{}); }

 private:
  template <size_t... I>
  void ReadAll(ReadCtx& rc, std::index_sequence<I...>) {
    (std::get<I>(h_).Read(rc), ...);
  }
  template <size_t... I>
  void CallAll(NativeError& e, std::index_sequence<I...>) {
    auto f = reinterpret_cast<typename R::C (*)(typename H::C...)>(m_.fn);
    r_ = f(std::get<I>(h_).Get(cc_)...);
    if constexpr ((H::kTwoPhase || ...)) {
      // The first call counted the parameters; the second fills a buffer of that size.
      if (!R::Failed(r_) && cc_.tpn > 0) {
        cc_.tp = (virTypedParameterPtr)calloc((size_t)cc_.tpn, sizeof(virTypedParameter));
        r_ = f(std::get<I>(h_).Get(cc_)...);
      }
    }
    if (R::Failed(r_)) e.CaptureVirt();
    if constexpr (IsBorrowed<R>::value) {
      if (!R::Failed(r_) && RefObj(r_) < 0) {
        e.CaptureVirt();
        r_ = nullptr;  // not ours: never freed
      }
    }
    (std::get<I>(h_).Release(), ...);  // references dropped here, off the main thread
  }
  template <size_t... I>
  Napi::Value DoneAll(Napi::Env env, std::index_sequence<I...>) {
    if constexpr (std::is_same_v<R, RNullIfZero>) {
      if (r_ == 0) return env.Null();
    }
    long long n = R::Count(r_);
    std::vector<Napi::Value> vals;
    auto one = [&](auto& x) {
      if constexpr (std::decay_t<decltype(x)>::kOut) vals.push_back(x.Out(env, cc_, n));
    };
    (one(std::get<I>(h_)), ...);
    Napi::Value ret;
    if constexpr (std::is_same_v<R, RBuf>) {
      ret = Napi::Buffer<unsigned char>::Copy(env, r_, cc_.size);
      memset(r_, 0, cc_.size);  // may be a secret
      free(r_);
      r_ = nullptr;
    } else {
      ret = R::Value(env, r_);
    }
    if (R::kValued && !vals.empty()) vals.insert(vals.begin(), ret);  // named `result`
    return Assemble(env, m_.outs, vals, ret);
  }
  template <size_t... I>
  void DiscardAll(std::index_sequence<I...>) {
    long long n = R::Count(r_);
    (std::get<I>(h_).Discard(cc_, n), ...);
    R::Discard(r_);
  }

  std::tuple<H...> h_;
  CallCtx cc_;
  typename R::C r_{};
};

// A job with its arguments read (strictly: INVALID_ARGUMENT), or a throw with nothing started.
template <typename R, typename... H>
GenJob<R, H...>* ReadJob(const Napi::CallbackInfo& info, const GenMethod& m) {
  auto* job = new GenJob<R, H...>(m);
  try {
    ReadCtx rc{info, m};
    job->Read(rc);
    CheckNoMore(rc);
  } catch (...) {
    delete job;  // nothing was started
    throw;
  }
  return job;
}

template <typename R, typename... H>
Napi::Value Invoke(const Napi::CallbackInfo& info, const GenMethod& m) {
  return Napi::Value(info.Env(), ReadJob<R, H...>(info, m)->Start(info.Env()));
}

template <typename R, typename... H>
Napi::Value InvokeLocal(const Napi::CallbackInfo& info, const GenMethod& m) {
  return ReadJob<R, H...>(info, m)->RunHere(info.Env());
}

}  // namespace gen

#define VK_GEN_LOCAL(name, fn, outs, tp, ...) \
  { name, ::vk::gen::Fn<__VA_ARGS__>(fn), &::vk::gen::InvokeLocal<__VA_ARGS__>, outs, tp }
#define VK_GEN(name, fn, outs, tp, ...) \
  { name, ::vk::gen::Fn<__VA_ARGS__>(fn), &::vk::gen::Invoke<__VA_ARGS__>, outs, tp }
#define VK_OVERRIDE(name, impl, tp) \
  { name, nullptr, &impl, "", tp }

}  // namespace vk
