#include "structs.h"
#include <string>
#include "../worker.h"  // Big(env, unsigned long long): counters as bigint

namespace vk {
namespace {
// The signed overload of worker.h's Big, for libvirt's long long counters.
Napi::Value Big(Napi::Env env, long long v) { return Napi::BigInt::New(env, (int64_t)v); }
Napi::Value Str(Napi::Env env, const char* s) { return s ? Napi::Value(Napi::String::New(env, s)) : env.Null(); }
}  // namespace

Napi::Value StructToJS(Napi::Env env, const virDomainBlockInfo& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("capacity", Big(env, v.capacity));
  o.Set("allocation", Big(env, v.allocation));
  o.Set("physical", Big(env, v.physical));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainBlockJobInfo& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", v.type);
  o.Set("bandwidth", (double)v.bandwidth);
  o.Set("cur", Big(env, v.cur));
  o.Set("end", Big(env, v.end));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainBlockStatsStruct& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rdReq", Big(env, v.rd_req));
  o.Set("rdBytes", Big(env, v.rd_bytes));
  o.Set("wrReq", Big(env, v.wr_req));
  o.Set("wrBytes", Big(env, v.wr_bytes));
  o.Set("errs", Big(env, v.errs));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainInterfaceStatsStruct& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rxBytes", Big(env, v.rx_bytes));
  o.Set("rxPackets", Big(env, v.rx_packets));
  o.Set("rxErrs", Big(env, v.rx_errs));
  o.Set("rxDrop", Big(env, v.rx_drop));
  o.Set("txBytes", Big(env, v.tx_bytes));
  o.Set("txPackets", Big(env, v.tx_packets));
  o.Set("txErrs", Big(env, v.tx_errs));
  o.Set("txDrop", Big(env, v.tx_drop));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainControlInfo& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", v.state);
  o.Set("details", v.details);
  o.Set("stateTime", Big(env, v.stateTime));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainJobInfo& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", v.type);
  o.Set("timeElapsed", Big(env, v.timeElapsed));
  o.Set("timeRemaining", Big(env, v.timeRemaining));
  o.Set("dataTotal", Big(env, v.dataTotal));
  o.Set("dataProcessed", Big(env, v.dataProcessed));
  o.Set("dataRemaining", Big(env, v.dataRemaining));
  o.Set("memTotal", Big(env, v.memTotal));
  o.Set("memProcessed", Big(env, v.memProcessed));
  o.Set("memRemaining", Big(env, v.memRemaining));
  o.Set("fileTotal", Big(env, v.fileTotal));
  o.Set("fileProcessed", Big(env, v.fileProcessed));
  o.Set("fileRemaining", Big(env, v.fileRemaining));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virSecurityLabel& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("label", std::string(v.label));
  o.Set("enforcing", v.enforcing != 0);
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virSecurityModel& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("model", std::string(v.model));
  o.Set("doi", std::string(v.doi));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainFSInfo& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mountpoint", Str(env, v.mountpoint));
  o.Set("name", Str(env, v.name));
  o.Set("fstype", Str(env, v.fstype));
  Napi::Array a = Napi::Array::New(env, v.ndevAlias);
  for (size_t i = 0; i < v.ndevAlias; i++) a.Set((uint32_t)i, Str(env, v.devAlias[i]));
  o.Set("devAlias", a);
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainInterface& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Str(env, v.name));
  o.Set("hwaddr", Str(env, v.hwaddr));
  Napi::Array a = Napi::Array::New(env, v.naddrs);
  for (unsigned i = 0; i < v.naddrs; i++) {
    Napi::Object x = Napi::Object::New(env);
    x.Set("type", v.addrs[i].type);
    x.Set("addr", Str(env, v.addrs[i].addr));
    x.Set("prefix", v.addrs[i].prefix);
    a.Set(i, x);
  }
  o.Set("addrs", a);
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virDomainIOThreadInfo& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("iothreadId", v.iothread_id);
  o.Set("cpumap", Napi::Buffer<unsigned char>::Copy(env, v.cpumap, v.cpumaplen > 0 ? (size_t)v.cpumaplen : 0));
  return o;
}
Napi::Value StructToJS(Napi::Env env, const virNetworkDHCPLease& v) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("iface", Str(env, v.iface));
  o.Set("expirytime", Big(env, v.expirytime));
  o.Set("type", v.type);
  o.Set("mac", Str(env, v.mac));
  o.Set("iaid", Str(env, v.iaid));
  o.Set("ipaddr", Str(env, v.ipaddr));
  o.Set("prefix", v.prefix);
  o.Set("hostname", Str(env, v.hostname));
  o.Set("clientid", Str(env, v.clientid));
  return o;
}

Napi::Value StructToJS(Napi::Env env, const virStorageVolInfo& v) {
  // Numbers, as StorageVol.getInfo: byte counts stay exact up to 8 PiB.
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", v.type);
  o.Set("capacity", (double)v.capacity);
  o.Set("allocation", (double)v.allocation);
  return o;
}

}  // namespace vk
