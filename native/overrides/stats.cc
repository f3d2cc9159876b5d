// Stats whose shape the XML cannot say: records of typed parameters, per-CPU lists, arrays of
// (tag, value) and (field, value) pairs sized by a first call.
#include "overrides.h"

namespace vk {
namespace ov {
using namespace gen;

namespace {

struct Records {
  virDomainStatsRecordPtr* recs = nullptr;
  int n = 0;
  ~Records() {
    if (recs) virDomainStatsRecordListFree(recs);
  }
};

// [{ domain, params }]: each domain wrapper takes its own reference (no RPC); the list frees its own.
Napi::Value RecordsToJS(Napi::Env env, Records& r) {
  Napi::Array a = Napi::Array::New(env, (size_t)r.n);
  for (int i = 0; i < r.n; i++) {
    Napi::Object o = Napi::Object::New(env);
    virDomainRef(r.recs[i]->dom);
    o.Set("domain", Wrap(env, &AddonData::domain, r.recs[i]->dom));
    o.Set("params", TypedParamsToJS(env, r.recs[i]->params, r.recs[i]->nparams));
    a.Set((uint32_t)i, o);
  }
  return a;
}

}  // namespace

// getAllDomainStats(stats, flags)
Napi::Value ConnectGetAllDomainStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virConnectPtr> c;
  Num<unsigned int> stats;
  Flags flags;
  c.Read(rc), stats.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  auto r = std::make_shared<Records>();
  ConnRef conn = std::move(c.r);
  unsigned int s = stats.v, f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [conn, s, f, r](int&, NativeError& e) {
        r->n = virConnectGetAllDomainStats(conn, s, &r->recs, f);
        if (r->n < 0) e.CaptureVirt();
      },
      [r](Napi::Env env, int&) { return RecordsToJS(env, *r); });
}

// domainListGetStats(domains, stats, flags): the domains' references are the call's own.
Napi::Value DomainListGetStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  uint32_t i;
  Napi::Value x = rc.Next(&i);
  if (!x.IsArray()) rc.Bad(i, "must be an array of native domains");
  Napi::Array a = x.As<Napi::Array>();
  Napi::Function ctor = Data(info.Env())->domain.Value();
  auto doms = std::make_shared<std::vector<DomainRef>>();
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value d = a.Get(k);
    if (!d.IsObject() || !d.As<Napi::Object>().InstanceOf(ctor)) rc.Bad(i, "must be an array of native domains");
    doms->push_back(Domain::ShareFrom(info, d.As<Napi::Object>()));
  }
  Num<unsigned int> stats;
  Flags flags;
  stats.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  auto r = std::make_shared<Records>();
  unsigned int s = stats.v, f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [doms, s, f, r](int&, NativeError& e) {
        std::vector<virDomainPtr> p;
        for (auto& d : *doms) p.push_back(d.get());
        p.push_back(nullptr);
        r->n = virDomainListGetStats(p.data(), s, &r->recs, f);
        if (r->n < 0) e.CaptureVirt();
        doms->clear();  // references dropped on the call thread
      },
      [r](Napi::Env env, int&) { return RecordsToJS(env, *r); });
}

// getCPUStats(startCpu, ncpus, flags): one TypedParams per CPU (or one total for startCpu -1).
Napi::Value DomainGetCPUStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virDomainPtr> d;
  Num<int> start;
  Num<unsigned int> ncpus;
  Flags flags;
  d.Read(rc), start.Read(rc), ncpus.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  if (ncpus.v < 1 || ncpus.v > 128) ThrowInvalid(info.Env(), "argument 1 is out of range (1..128)");
  struct R {
    std::vector<virTypedParameter> p;
    int per = 0, filled = 0;
    ~R() {
      if (!p.empty()) virTypedParamsClear(p.data(), (int)p.size());
    }
  };
  auto r = std::make_shared<R>();
  DomainRef dom = std::move(d.r);
  int s = start.v;
  unsigned int n = ncpus.v, f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [dom, s, n, f, r](int&, NativeError& e) {
        r->per = virDomainGetCPUStats(dom, nullptr, 0, s, 1, f);
        if (r->per < 0) { e.CaptureVirt(); return; }
        r->p.assign((size_t)r->per * n, virTypedParameter{});
        if (r->per == 0) return;
        r->filled = virDomainGetCPUStats(dom, r->p.data(), (unsigned)r->per, s, n, f);
        if (r->filled < 0) e.CaptureVirt();
      },
      [r, n](Napi::Env env, int&) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env);
        if (r->per == 0) return a;
        for (unsigned c = 0; c < n; c++) {
          // An unpopulated tail (ncpus past the host's CPUs) has empty field names.
          virTypedParameterPtr row = r->p.data() + (size_t)c * r->per;
          if (!row[0].field[0]) break;
          a.Set(c, TypedParamsToJS(env, row, r->per));
        }
        return a;
      });
}

// memoryStats(flags): [{ tag, val }] (tags: virDomainMemoryStatTags).
Napi::Value DomainMemoryStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virDomainPtr> d;
  Flags flags;
  d.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  struct R {
    virDomainMemoryStatStruct s[VIR_DOMAIN_MEMORY_STAT_NR];
    int n = 0;
  };
  auto r = std::make_shared<R>();
  DomainRef dom = std::move(d.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [dom, f, r](int&, NativeError& e) {
        r->n = virDomainMemoryStats(dom, r->s, VIR_DOMAIN_MEMORY_STAT_NR, f);
        if (r->n < 0) e.CaptureVirt();
      },
      [r](Napi::Env env, int&) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, (size_t)r->n);
        for (int i = 0; i < r->n; i++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("tag", r->s[i].tag);
          o.Set("val", Big(env, r->s[i].val));
          a.Set((uint32_t)i, o);
        }
        return a;
      });
}

namespace {
// virNodeGetCPUStats / virNodeGetMemoryStats: (field, value) pairs counted by a first call.
template <typename T, int (*Fn)(virConnectPtr, int, T*, int*, unsigned int)>
Napi::Value NodeFieldStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virConnectPtr> c;
  Num<int> which;
  Flags flags;
  c.Read(rc), which.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  auto r = std::make_shared<std::vector<T>>();
  ConnRef conn = std::move(c.r);
  int w = which.v;
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [conn, w, f, r](int&, NativeError& e) {
        int n = 0;
        if (Fn(conn, w, nullptr, &n, f) < 0) { e.CaptureVirt(); return; }
        r->assign((size_t)n, T{});
        if (n > 0 && Fn(conn, w, r->data(), &n, f) < 0) { e.CaptureVirt(); return; }
        r->resize((size_t)n);
      },
      [r](Napi::Env env, int&) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        for (auto& x : *r) o.Set(x.field, Big(env, x.value));
        return o;
      });
}
}  // namespace

Napi::Value NodeGetCPUStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  return NodeFieldStats<virNodeCPUStats, virNodeGetCPUStats>(info, m);
}
Napi::Value NodeGetMemoryStats(const Napi::CallbackInfo& info, const GenMethod& m) {
  return NodeFieldStats<virNodeMemoryStats, virNodeGetMemoryStats>(info, m);
}

// getSchedulerParameters[Flags](flags): the count comes from virDomainGetSchedulerType (these
// two calls refuse the params=NULL count query the other typed-parameter getters accept).
template <bool WithFlags>
static Napi::Value SchedulerParams(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virDomainPtr> d;
  Flags flags;
  d.Read(rc);
  if (WithFlags) flags.Read(rc);
  CheckNoMore(rc);
  auto cc = std::make_shared<CallCtx>();
  DomainRef dom = std::move(d.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [dom, f, cc](int&, NativeError& e) {
        char* type = virDomainGetSchedulerType(dom, &cc->tpn);
        if (!type) { e.CaptureVirt(); return; }
        free(type);
        if (cc->tpn <= 0) return;
        cc->tp = (virTypedParameterPtr)calloc((size_t)cc->tpn, sizeof(virTypedParameter));
        int r = WithFlags ? virDomainGetSchedulerParametersFlags(dom, cc->tp, &cc->tpn, f)
                          : virDomainGetSchedulerParameters(dom, cc->tp, &cc->tpn);
        if (r < 0) e.CaptureVirt();
      },
      [cc](Napi::Env env, int&) { return TypedParamsToJS(env, cc->tp, cc->tpn); });
}

Napi::Value DomainGetSchedulerParameters(const Napi::CallbackInfo& info, const GenMethod& m) {
  return SchedulerParams<false>(info, m);
}
Napi::Value DomainGetSchedulerParametersFlags(const Napi::CallbackInfo& info, const GenMethod& m) {
  return SchedulerParams<true>(info, m);
}

}  // namespace ov
}  // namespace vk
