// Arrays whose size comes from another call or from several arguments: disk errors, vCPU info
// and pinning, NUMA cell memory, free and allocated huge pages, the host CPU map.
#include "overrides.h"

namespace vk {
namespace ov {
using namespace gen;

namespace {
double NextNum(ReadCtx& rc, double lo, double hi) {
  uint32_t i;
  Napi::Value v = rc.Next(&i);
  return CheckedNumber(rc, i, v, lo, hi);
}
std::vector<unsigned int> ReadU32s(ReadCtx& rc) {
  U32Arr a;
  a.Read(rc);
  return a.v;
}
Napi::Array BigArray(Napi::Env env, const std::vector<unsigned long long>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); i++) a.Set((uint32_t)i, Big(env, v[i]));
  return a;
}
}  // namespace

// getDiskErrors(flags): [{ disk, error }] (error: virDomainDiskErrorCode).
Napi::Value DomainGetDiskErrors(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virDomainPtr> d;
  Flags flags;
  d.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  struct R {
    std::vector<virDomainDiskError> v;
    ~R() {
      for (auto& x : v) free(x.disk);
    }
  };
  auto r = std::make_shared<R>();
  DomainRef dom = std::move(d.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [dom, f, r](int&, NativeError& e) {
        int n = virDomainGetDiskErrors(dom, nullptr, 0, f);
        if (n < 0) { e.CaptureVirt(); return; }
        if (n == 0) return;
        r->v.assign((size_t)n, virDomainDiskError{});
        n = virDomainGetDiskErrors(dom, r->v.data(), (unsigned)n, f);
        if (n < 0) { e.CaptureVirt(); return; }
        r->v.resize((size_t)n);
      },
      [r](Napi::Env env, int&) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, r->v.size());
        for (size_t i = 0; i < r->v.size(); i++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("disk", r->v[i].disk ? r->v[i].disk : "");
          o.Set("error", r->v[i].error);
          a.Set((uint32_t)i, o);
        }
        return a;
      });
}

// getVcpus(maplen): one entry per vCPU (the count from virDomainGetInfo, as libvirt-python does).
Napi::Value DomainGetVcpus(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virDomainPtr> d;
  d.Read(rc);
  int maplen = (int)NextNum(rc, 1, 65536);
  CheckNoMore(rc);
  struct R {
    std::vector<virVcpuInfo> v;
    std::vector<unsigned char> maps;
    int maplen = 0;
  };
  auto r = std::make_shared<R>();
  r->maplen = maplen;
  DomainRef dom = std::move(d.r);
  return Queue<int>(info.Env(), Napi::Object(),
      [dom, r](int&, NativeError& e) {
        virDomainInfo di;
        if (virDomainGetInfo(dom, &di) < 0) { e.CaptureVirt(); return; }
        r->v.assign(di.nrVirtCpu, virVcpuInfo{});
        r->maps.assign((size_t)di.nrVirtCpu * r->maplen, 0);
        int n = virDomainGetVcpus(dom, r->v.data(), (int)r->v.size(), r->maps.data(), r->maplen);
        if (n < 0) { e.CaptureVirt(); return; }
        r->v.resize((size_t)n);
      },
      [r](Napi::Env env, int&) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, r->v.size());
        for (size_t k = 0; k < r->v.size(); k++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("number", r->v[k].number);
          o.Set("state", r->v[k].state);
          o.Set("cpuTime", Big(env, r->v[k].cpuTime));
          o.Set("cpu", r->v[k].cpu);
          o.Set("cpumap", Napi::Buffer<unsigned char>::Copy(env, r->maps.data() + k * r->maplen, (size_t)r->maplen));
          a.Set((uint32_t)k, o);
        }
        return a;
      });
}

// getVcpuPinInfo(ncpumaps, maplen, flags): one CPU bitmap per vCPU.
Napi::Value DomainGetVcpuPinInfo(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virDomainPtr> d;
  d.Read(rc);
  int ncpumaps = (int)NextNum(rc, 1, 4096);
  int maplen = (int)NextNum(rc, 1, 65536);
  Flags flags;
  flags.Read(rc);
  CheckNoMore(rc);
  struct R {
    std::vector<unsigned char> maps;
    int n = 0;
  };
  auto r = std::make_shared<R>();
  r->maps.assign((size_t)ncpumaps * maplen, 0);
  DomainRef dom = std::move(d.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [dom, ncpumaps, maplen, f, r](int&, NativeError& e) {
        r->n = virDomainGetVcpuPinInfo(dom, ncpumaps, r->maps.data(), maplen, f);
        if (r->n < 0) e.CaptureVirt();
      },
      [r, maplen](Napi::Env env, int&) -> Napi::Value {
        Napi::Array a = Napi::Array::New(env, (size_t)r->n);
        for (int k = 0; k < r->n; k++)
          a.Set((uint32_t)k, Napi::Buffer<unsigned char>::Copy(env, r->maps.data() + (size_t)k * maplen, (size_t)maplen));
        return a;
      });
}

// nodeGetCellsFreeMemory(startCell, maxCells): free bytes per NUMA cell.
Napi::Value NodeGetCellsFreeMemory(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virConnectPtr> c;
  c.Read(rc);
  int start = (int)NextNum(rc, 0, 2147483647.0);
  int max = (int)NextNum(rc, 1, 65536);
  CheckNoMore(rc);
  auto r = std::make_shared<std::vector<unsigned long long>>((size_t)max, 0ULL);
  ConnRef conn = std::move(c.r);
  return Queue<int>(info.Env(), Napi::Object(),
      [conn, start, max, r](int&, NativeError& e) {
        int n = virNodeGetCellsFreeMemory(conn, r->data(), start, max);
        if (n < 0) { e.CaptureVirt(); return; }
        r->resize((size_t)n);
      },
      [r](Napi::Env env, int&) -> Napi::Value { return BigArray(env, *r); });
}

// nodeGetFreePages(pages, startCell, cellCount, flags): counts[cell * npages + page].
Napi::Value NodeGetFreePages(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virConnectPtr> c;
  c.Read(rc);
  auto pages = std::make_shared<std::vector<unsigned int>>(ReadU32s(rc));
  int start = (int)NextNum(rc, -1, 2147483647.0);
  unsigned int cells = (unsigned int)NextNum(rc, 1, 65536);
  Flags flags;
  flags.Read(rc);
  CheckNoMore(rc);
  auto r = std::make_shared<std::vector<unsigned long long>>(pages->size() * cells, 0ULL);
  ConnRef conn = std::move(c.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [conn, pages, start, cells, f, r](int&, NativeError& e) {
        int n = virNodeGetFreePages(conn, (unsigned)pages->size(), pages->data(), start, cells, r->data(), f);
        if (n < 0) { e.CaptureVirt(); return; }
        r->resize((size_t)n);
      },
      [r](Napi::Env env, int&) -> Napi::Value { return BigArray(env, *r); });
}

// nodeAllocPages(pageSizes, pageCounts, startCell, cellCount, flags): cells adjusted.
Napi::Value NodeAllocPages(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virConnectPtr> c;
  c.Read(rc);
  auto sizes = std::make_shared<std::vector<unsigned int>>(ReadU32s(rc));
  uint32_t i;
  Napi::Value x = rc.Next(&i);
  if (!x.IsArray() || x.As<Napi::Array>().Length() != sizes->size())
    rc.Bad(i, "must be an array of counts, one per page size");
  auto counts = std::make_shared<std::vector<unsigned long long>>();
  for (uint32_t k = 0; k < x.As<Napi::Array>().Length(); k++) counts->push_back(CheckedUint64(rc, i, x.As<Napi::Array>().Get(k)));
  int start = (int)NextNum(rc, -1, 2147483647.0);
  unsigned int cells = (unsigned int)NextNum(rc, 0, 65536);
  Flags flags;
  flags.Read(rc);
  CheckNoMore(rc);
  ConnRef conn = std::move(c.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [conn, sizes, counts, start, cells, f](int& r, NativeError& e) {
        r = virNodeAllocPages(conn, (unsigned)sizes->size(), sizes->data(), counts->data(), start, cells, f);
        if (r < 0) e.CaptureVirt();
      },
      [](Napi::Env env, int& r) -> Napi::Value { return Napi::Number::New(env, r); });
}

// nodeGetCPUMap(flags): { cpus, online, cpumap }.
Napi::Value NodeGetCPUMap(const Napi::CallbackInfo& info, const GenMethod& m) {
  ReadCtx rc{info, m};
  This<virConnectPtr> c;
  Flags flags;
  c.Read(rc), flags.Read(rc);
  CheckNoMore(rc);
  struct R {
    unsigned char* map = nullptr;
    unsigned int online = 0;
    int cpus = 0;
    ~R() { free(map); }
  };
  auto r = std::make_shared<R>();
  ConnRef conn = std::move(c.r);
  unsigned int f = flags.v;
  return Queue<int>(info.Env(), Napi::Object(),
      [conn, f, r](int&, NativeError& e) {
        r->cpus = virNodeGetCPUMap(conn, &r->map, &r->online, f);
        if (r->cpus < 0) e.CaptureVirt();
      },
      [r](Napi::Env env, int&) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("cpus", r->cpus);
        o.Set("online", r->online);
        o.Set("cpumap", Napi::Buffer<unsigned char>::Copy(env, r->map, r->map ? (size_t)(r->cpus + 7) / 8 : 0));
        return o;
      });
}

}  // namespace ov
}  // namespace vk
