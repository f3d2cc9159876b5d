// The converter behind every generated libvirt method (native/generated/*_methods.inc).
//
// scripts/gen-libvirt-bindings.mjs reads libvirt-api.xml and writes, per C function, one line
//   VK_GEN("setMemory", virDomainSetMemory, "", nullptr, RVoid, This<virDomainPtr>, Num<unsigned long>)
// naming a return shape (R*) and one holder per C parameter. Fn<> checks at compile time that the
// holders' C types are exactly the function's; Invoke<> is instantiated once per *signature*
// (not per function), so the table stays cheap to compile. At call time, on the main thread, the
// holders read the JS arguments strictly (ThrowInvalid: INVALID_ARGUMENT) and take a libvirt
// reference of the call's own to every object (handle.h); on a call thread the C function runs and
// the references are dropped; on the main thread the out values become the result: none -> the
// return shape's value, one -> that value, several -> an object keyed by the `outs` names.
//
// JS <- C:  int, unsigned int, unsigned long, double -> number; long long, unsigned long long ->
//           bigint (counters pass 2^53); char* -> string (freed); handles -> wrappers; lists -> arrays;
//           typed parameters -> plain objects (64-bit fields as bigint).
// C <- JS:  numbers are integers in the C type's range (64-bit: a safe integer or a bigint);
//           strings without NUL; null only where the XML says the argument may be NULL.
//
// The parts: virt_gen_base.h (object types, contexts, holder bases), virt_gen_inputs.h and
// virt_gen_outputs.h (the holders of C parameters), virt_gen_typed_params.h (typed parameters),
// virt_gen_returns.h (return shapes), virt_gen_job.h (the job class, Invoke, VK_GEN).
#pragma once
#include "virt_gen_base.h"
#include "virt_gen_inputs.h"
#include "virt_gen_outputs.h"
#include "virt_gen_typed_params.h"
#include "virt_gen_returns.h"
#include "virt_gen_job.h"
