// Connect's credentials callback for virConnectOpenAuth and the JS side of it (AuthAsked, authReply).
#include "connect_shared.h"
#include "objects.h"
#include <chrono>
#include <cstring>

namespace vk {

// ---- auth: libvirt asks for credentials on the call thread running virConnectOpenAuth ----
//
// The callback posts the request to the env's hub and blocks that call thread until JS answers
// (authReply), the wait's deadline passes, or the request can no longer be answered (wrapper or
// env gone). The answers are copied into malloc'd results (libvirt frees them) and wiped here.



static void Wipe(std::string& s) {
  if (!s.empty()) explicit_bzero(&s[0], s.size());
  s.clear();
}

struct AuthMsg final : Msg {
  uint64_t target = 0;
  std::shared_ptr<AuthWait> wait;
  std::vector<int> types;
  std::vector<std::string> prompts, challenges, defaults;
  std::vector<bool> hasChallenge, hasDefault;
  bool handed = false;
  // Not delivered (env torn down) or not handed on: nobody will answer.
  ~AuthMsg() override {
    if (!handed) wait->Finish(false);
  }
  void Deliver(Napi::Env env) override {
    auto* c = static_cast<Connect*>(Data(env)->hub->Target(target));
    if (!c) return;  // the wrapper is gone: the destructor fails the wait
    Napi::Array a = Napi::Array::New(env, types.size());
    for (size_t i = 0; i < types.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", types[i]);
      o.Set("prompt", prompts[i]);
      if (hasChallenge[i]) o.Set("challenge", challenges[i]);
      if (hasDefault[i]) o.Set("defresult", defaults[i]);
      a.Set(i, o);
    }
    handed = c->AuthAsked(env, wait, a);
  }
};



int AuthCallback(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata) {
  auto* ctx = static_cast<AuthCtx*>(cbdata);
  if (ncred == 0) return 0;
  auto w = std::make_shared<AuthWait>();
  auto* m = new AuthMsg();
  m->target = ctx->target;
  m->wait = w;
  for (unsigned i = 0; i < ncred; i++) {
    m->types.push_back(cred[i].type);
    m->prompts.push_back(cred[i].prompt ? cred[i].prompt : "");
    m->hasChallenge.push_back(cred[i].challenge != nullptr);
    m->challenges.push_back(cred[i].challenge ? cred[i].challenge : "");
    m->hasDefault.push_back(cred[i].defresult != nullptr);
    m->defaults.push_back(cred[i].defresult ? cred[i].defresult : "");
  }
  ctx->hub->Post(m);
  std::unique_lock<std::mutex> l(w->mu);
  if (ctx->timeoutMs > 0)
    w->cv.wait_for(l, std::chrono::milliseconds(ctx->timeoutMs), [&] { return w->done; });
  else
    w->cv.wait(l, [&] { return w->done; });
  bool good = w->done && w->ok && w->answers.size() == ncred;
  w->done = true;  // a late answer finds the wait closed
  if (good) {
    for (unsigned i = 0; i < ncred; i++) {
      const std::string& s = w->answers[i];
      cred[i].result = static_cast<char*>(malloc(s.size() + 1));
      if (!cred[i].result) { good = false; break; }
      memcpy(cred[i].result, s.c_str(), s.size() + 1);
      cred[i].resultlen = s.size();
    }
  }
  for (auto& s : w->answers) Wipe(s);
  if (!good)
    for (unsigned i = 0; i < ncred; i++) {
      if (cred[i].result) explicit_bzero(cred[i].result, cred[i].resultlen);
      free(cred[i].result);
      cred[i].result = nullptr;
      cred[i].resultlen = 0;
    }
  return good ? 0 : -1;
}

bool Connect::AuthAsked(Napi::Env env, std::shared_ptr<AuthWait> w, Napi::Array creds) {
  Napi::Value fn = Value().Get("_onauth");
  if (!fn.IsFunction()) return false;  // no handler: the message's destructor fails the wait
  uint64_t id = nextAuth_++;
  authWaits_[id] = w;
  try {
    fn.As<Napi::Function>().Call(Value(), {creds, Napi::Number::New(env, (double)id)});
  } catch (const Napi::Error&) {
    authWaits_.erase(id);
    w->Finish(false);
  }
  return true;
}

// authReply(id, answers | null): true when the request was still waiting.
Napi::Value Connect::AuthReply(const Napi::CallbackInfo& info) {
  uint64_t id = (uint64_t)IntegerNumber(info, 0, 1, 9007199254740991.0);
  auto it = authWaits_.find(id);
  if (it == authWaits_.end()) return Napi::Boolean::New(info.Env(), false);
  std::shared_ptr<AuthWait> w = it->second;
  authWaits_.erase(it);
  if (info.Length() < 2 || !info[1].IsArray()) {
    w->Finish(false);
    return Napi::Boolean::New(info.Env(), true);
  }
  Napi::Array a = info[1].As<Napi::Array>();
  std::vector<std::string> answers;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
    if (!v.IsString() || s.find('\0') != std::string::npos) {
      Wipe(s);
      for (auto& x : answers) Wipe(x);
      w->Finish(false);
      ThrowInvalid(info.Env(), "answer " + std::to_string(i) + " must be a string without NUL");
    }
    answers.push_back(std::move(s));
  }
  w->Finish(true, &answers);
  for (auto& x : answers) Wipe(x);
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace vk
