// Runtime helpers of the generated libvirt methods (virt_gen.h): strict numbers, the
// shape of a result, and the classes whose methods are all generated (typed parameters:
// virt_gen_typed_params.cc).
#include "virt_gen.h"
#include "generated/tables.h"

namespace vk {
namespace gen {

double CheckedNumber(ReadCtx& c, uint32_t i, Napi::Value v, double lo, double hi) {
  if (!v.IsNumber()) c.Bad(i, "must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) c.Bad(i, "must be an integer");
  if (d < lo || d > hi) c.Bad(i, "is out of range");
  return d;
}
int64_t CheckedInt64(ReadCtx& c, uint32_t i, Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t r = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) c.Bad(i, "is out of range");
    return r;
  }
  return (int64_t)CheckedNumber(c, i, v, -9007199254740991.0, 9007199254740991.0);
}
uint64_t CheckedUint64(ReadCtx& c, uint32_t i, Napi::Value v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) c.Bad(i, "is out of range");
    return r;
  }
  return (uint64_t)CheckedNumber(c, i, v, 0, 9007199254740991.0);
}

void CheckNoMore(ReadCtx& rc) {
  if (rc.js < rc.info.Length() && !rc.info[rc.js].IsUndefined())
    ThrowInvalid(rc.info.Env(), "too many arguments (expected " + std::to_string(rc.js) + ")");
}

napi_value GenJobBase::Start(Napi::Env env) {
  hub_ = Data(env)->hub;
  napi_value promise;
  NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &deferred_, &promise), nullptr);
  hub_->Hold();
  Submit(this);
  return promise;
}

Napi::Value GenJobBase::RunHere(Napi::Env env) {
  std::unique_ptr<GenJobBase> self(this);
  Call(err_);
  ok_ = !err_.failed();
  if (!ok_) throw Napi::Error(env, err_.ToJS(env));
  delivered_ = true;
  return Done(env);
}

void GenJobBase::Run() {
  Call(err_);
  ok_ = !err_.failed();
  std::shared_ptr<Hub> hub = hub_;
  hub->Post(this);  // deletes this when the env is gone
}

void GenJobBase::Deliver(Napi::Env env) {
  hub_->Unhold();
  if (err_.failed()) {
    napi_reject_deferred(env, deferred_, err_.ToJS(env));
    return;
  }
  delivered_ = true;
  try {
    napi_resolve_deferred(env, deferred_, Done(env));
  } catch (const Napi::Error& e) {
    napi_reject_deferred(env, deferred_, e.Value());
  }
}

Napi::Value Assemble(Napi::Env env, const char* outs, std::vector<Napi::Value>& vals, Napi::Value ret) {
  if (vals.empty()) return ret;
  if (vals.size() == 1) return vals[0];
  Napi::Object o = Napi::Object::New(env);
  std::string names = outs ? outs : "";
  size_t k = 0, start = 0;
  while (k < vals.size()) {
    size_t comma = names.find(',', start);
    std::string n = names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    o.Set(n.empty() ? "value" + std::to_string(k) : n, vals[k]);
    k++;
    if (comma == std::string::npos) start = names.size(); else start = comma + 1;
  }
  return o;
}

}  // namespace gen

template <typename P, int (*RefFn)(P), int (*FreeFn)(P)>
void Obj<P, RefFn, FreeFn>::Init(Napi::Env env, Napi::Object exports, const char* name,
                                 Napi::FunctionReference AddonData::*ctor, const GenMethod* table, size_t n) {
  using Self = Obj<P, RefFn, FreeFn>;
  using M = Napi::Value (Self::*)(const Napi::CallbackInfo&);
  std::vector<Napi::ClassPropertyDescriptor<Self>> props = {
      Self::InstanceMethod("free", static_cast<M>(&Self::FreeMethod)),
      Self::InstanceMethod("dup", static_cast<M>(&Self::DupMethod)),
  };
  AddGenerated<Self>(props, table, n);
  Napi::Function f = Self::DefineClass(env, name, props);
  Data(env)->*ctor = Napi::Persistent(f);
  exports.Set(name, f);
}

void InitObjects(Napi::Env env, Napi::Object exports) {
  Network::Init(env, exports, "Network", &AddonData::network, kNetworkGen, kNetworkGenCount);
  NetworkPort::Init(env, exports, "NetworkPort", &AddonData::networkPort, kNetworkPortGen, kNetworkPortGenCount);
  Interface::Init(env, exports, "Interface", &AddonData::iface, kInterfaceGen, kInterfaceGenCount);
  Secret::Init(env, exports, "Secret", &AddonData::secret, kSecretGen, kSecretGenCount);
  NodeDevice::Init(env, exports, "NodeDevice", &AddonData::nodeDevice, kNodeDeviceGen, kNodeDeviceGenCount);
  NWFilter::Init(env, exports, "NWFilter", &AddonData::nwfilter, kNWFilterGen, kNWFilterGenCount);
  NWFilterBinding::Init(env, exports, "NWFilterBinding", &AddonData::nwfilterBinding, kNWFilterBindingGen,
                        kNWFilterBindingGenCount);
  DomainSnapshot::Init(env, exports, "DomainSnapshot", &AddonData::domainSnapshot, kDomainSnapshotGen,
                       kDomainSnapshotGenCount);
  DomainCheckpoint::Init(env, exports, "DomainCheckpoint", &AddonData::domainCheckpoint, kDomainCheckpointGen,
                         kDomainCheckpointGenCount);
}

}  // namespace vk
