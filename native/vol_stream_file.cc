// VolStream.sendFile/recvFile (stream.h): a whole volume transfer in one job, the file read or
// written here (holes found with SEEK_DATA/SEEK_HOLE), SHA-256 on the way, progress through the hub.
#include "stream.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>  // Node's own OpenSSL (its headers and exported symbols): no extra library
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <chrono>
#include <vector>

namespace vk {

namespace {

struct ProgressMsg final : Msg {
  uint64_t target = 0;
  double bytes = 0, position = 0;
  void Deliver(Napi::Env env) override {
    auto* vs = static_cast<VolStream*>(Data(env)->hub->Target(target));
    if (vs) vs->Progress(env, bytes, position);
  }
};

constexpr size_t kZeroLen = 1 << 20;
const char* Zeros() {
  static const std::vector<char>* z = new std::vector<char>(kZeroLen, 0);
  return z->data();
}

struct FileCtx {
  int fd = -1;
  StreamState* s = nullptr;
  std::shared_ptr<Hub> hub;
  uint64_t target = 0;
  EVP_MD_CTX* sha = nullptr;
  // Download with a segment size: also the SHA-256 of each segment of that many bytes.
  EVP_MD_CTX* seg = nullptr;
  unsigned long long segSize = 0, segFill = 0;
  std::vector<std::string> segs;
  bool segFailed = false;
  unsigned long long bytes = 0, position = 0;
  unsigned long long limit = 0;  // upload: read at most this many bytes of the file (0: all)
  unsigned long long start = 0;  // upload: where in the file reading starts (a resumed copy)
  std::chrono::steady_clock::time_point last{};
  bool holeSeen = false;  // see InData
  int ioErr = 0;
  const char* ioWhat = nullptr;
  bool cancelled = false;

  bool Stop() {
    if (s->cancel.load()) cancelled = true;
    return cancelled;
  }
  void Io(const char* what) {
    ioErr = errno;
    ioWhat = what;
  }
  void Data(const char* d, size_t n) {
    Hash(d, n);
    bytes += n;
    position += n;
    Report();
  }
  void Hole(long long n) {
    Hash(nullptr, (unsigned long long)n);
    position += n;
    Report();
  }
  // Feeds the digests; d null: n zero bytes (a hole). A segment's digest is taken as it fills.
  void Hash(const char* d, unsigned long long n) {
    if (!sha && !seg) return;
    while (n > 0) {
      unsigned long long k = n;
      if (seg && segSize - segFill < k) k = segSize - segFill;
      if (!d && k > kZeroLen) k = kZeroLen;
      const char* p = d ? d : Zeros();
      if (sha) EVP_DigestUpdate(sha, p, (size_t)k);
      if (seg) {
        EVP_DigestUpdate(seg, p, (size_t)k);
        segFill += k;
        if (segFill == segSize) EndSegment();
      }
      if (d) d += k;
      n -= k;
    }
  }
  void EndSegment();
  void Report() {
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100)) return;
    last = now;
    auto* m = new ProgressMsg();
    m->target = target;
    m->bytes = (double)bytes;
    m->position = (double)position;
    hub->Post(m);
  }
};

std::string Hex(const unsigned char* d, size_t n) {
  static const char* x = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) { s += x[d[i] >> 4]; s += x[d[i] & 15]; }
  return s;
}

// A digest that cannot be taken drops the segment list (JS reports it): never a short or empty one.
void FileCtx::EndSegment() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(seg, out, &len) != 1 || EVP_DigestInit_ex(seg, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(seg);
    seg = nullptr;
    segFailed = true;
    return;
  }
  segs.push_back(Hex(out, len));
  segFill = 0;
}

int Source(virStreamPtr, char* data, size_t n, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  if (c->limit) {
    if (c->position >= c->limit) return 0;
    if (n > c->limit - c->position) n = (size_t)(c->limit - c->position);
  }
  ssize_t r;
  do r = read(c->fd, data, n); while (r < 0 && errno == EINTR);
  if (r < 0) { c->Io("read"); return -1; }
  c->Data(data, (size_t)r);
  return (int)r;
}

// Where the file's current section ends (SEEK_DATA/SEEK_HOLE), as virsh does it.
int InData(virStreamPtr, int* inData, long long* length, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  off_t cur = lseek(c->fd, 0, SEEK_CUR);
  if (cur < 0) { c->Io("lseek"); return -1; }
  off_t data = lseek(c->fd, cur, SEEK_DATA);
  if (data < 0) {
    if (errno != ENXIO) { c->Io("lseek"); return -1; }
    // A hole up to the end, or the end itself.
    off_t end = lseek(c->fd, 0, SEEK_END);
    if (end < 0) { c->Io("lseek"); return -1; }
    *inData = 0;
    *length = end > cur ? end - cur : 0;
  } else if (data > cur) {
    *inData = 0;
    *length = data - cur;
  } else {
    off_t hole = lseek(c->fd, cur, SEEK_HOLE);
    if (hole < 0) { c->Io("lseek"); return -1; }
    *inData = 1;
    *length = hole - cur;
  }
  if (lseek(c->fd, cur, SEEK_SET) < 0) { c->Io("lseek"); return -1; }
  if (c->limit) {
    unsigned long long done = (unsigned long long)cur - c->start;
    unsigned long long left = done >= c->limit ? 0 : c->limit - done;
    if ((unsigned long long)*length > left) *length = (long long)left;
    if (left == 0) *inData = 0;
  }
  // libvirtd (seen on 9.0, also with virsh vol-upload --sparse) writes the first hole of a sparse
  // upload out as zeroes: make that first hole one byte, so the real one stays a hole.
  if (!*inData && *length > 1 && !c->holeSeen) *length = 1;
  if (!*inData && *length > 0) c->holeSeen = true;
  return 0;
}

int Skip(virStreamPtr, long long length, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  if (lseek(c->fd, length, SEEK_CUR) < 0) { c->Io("lseek"); return -1; }
  c->Hole(length);
  return 0;
}

int Sink(virStreamPtr, const char* data, size_t n, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(c->fd, data + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { c->Io("write"); return -1; }
    done += (size_t)r;
  }
  c->Data(data, n);
  return (int)n;
}

int SinkHole(virStreamPtr, long long length, void* opaque) {
  auto* c = static_cast<FileCtx*>(opaque);
  if (c->Stop()) return -1;
  if (lseek(c->fd, length, SEEK_CUR) < 0) { c->Io("lseek"); return -1; }
  c->Hole(length);
  return 0;
}

struct FileResult {
  unsigned long long bytes = 0, position = 0;
  std::string sha256;
  std::vector<std::string> segments;
  bool segmented = false;
  int ioErr = 0;
  std::string ioWhat;
  bool cancelled = false;
};

}  // namespace

// sendFile(path, sparse, sha256[, limit[, start]]) / recvFile(path, sparse, sha256[, segment]): the whole
// transfer, then finish; abort on any failure. Resolves { bytes, position, sha256?, segments? }
// (segments: recvFile's SHA-256 of each `segment` bytes, the last one shorter); an I/O error on the file
// rejects with native 'io' (errno, syscall); cancel() rejects with native 'cancelled'.
static Napi::Value FileTransfer(const Napi::CallbackInfo& info, std::shared_ptr<StreamState> s,
                                std::shared_ptr<Hub> hub, uint64_t target, bool upload) {
  std::string path = ArgString(info, 0);
  bool sparse = ArgBool(info, 1);
  bool wantSha = ArgBool(info, 2);
  unsigned long long limit = upload && info.Length() > 3 && !info[3].IsUndefined() ? ArgUint64(info, 3) : 0;
  unsigned long long start = upload && info.Length() > 4 && !info[4].IsUndefined() ? ArgUint64(info, 4) : 0;
  unsigned long long segment = !upload && info.Length() > 3 && !info[3].IsUndefined() ? ArgUint64(info, 3) : 0;
  return Queue<FileResult>(info.Env(), Self(info),
      [s, hub, target, path, sparse, wantSha, upload, limit, start, segment](FileResult& r, NativeError& e) {
        std::lock_guard<std::mutex> l(s->mu);
        if (!s->open) { e.Usage("the stream is not open"); return; }
        FileCtx c;
        c.s = s.get();
        c.hub = hub;
        c.target = target;
        c.limit = limit;
        c.start = start;
        c.last = std::chrono::steady_clock::now();
        c.fd = upload ? open(path.c_str(), O_RDONLY | O_CLOEXEC) : open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (c.fd < 0) {
          c.Io("open");
        } else if (start && lseek(c.fd, (off_t)start, SEEK_SET) < 0) {
          c.Io("lseek");
          close(c.fd);
        } else {
          if (wantSha) {
            c.sha = EVP_MD_CTX_new();
            if (c.sha && EVP_DigestInit_ex(c.sha, EVP_sha256(), nullptr) != 1) {
              EVP_MD_CTX_free(c.sha);
              c.sha = nullptr;
            }
          }
          if (segment) {
            c.seg = EVP_MD_CTX_new();
            if (c.seg && EVP_DigestInit_ex(c.seg, EVP_sha256(), nullptr) != 1) {
              EVP_MD_CTX_free(c.seg);
              c.seg = nullptr;
            }
            c.segSize = segment;
          }
          int rc;
          if (upload)
            rc = sparse ? virStreamSparseSendAll(s->st, Source, InData, Skip, &c) : virStreamSendAll(s->st, Source, &c);
          else
            rc = sparse ? virStreamSparseRecvAll(s->st, Sink, SinkHole, &c) : virStreamRecvAll(s->st, Sink, &c);
          if (rc == 0 && !upload) {
            // A trailing hole only moved the offset: give the file its full length.
            struct stat sb;
            if (fstat(c.fd, &sb) == 0 && S_ISREG(sb.st_mode) && (off_t)c.position > sb.st_size &&
                ftruncate(c.fd, (off_t)c.position) < 0) {
              c.Io("ftruncate");
              rc = -1;
            }
          }
          if (rc == 0) {
            rc = virStreamFinish(s->st);
            if (rc < 0) e.CaptureVirt();
            s->Close(rc < 0);
          } else {
            if (!c.ioErr && !c.cancelled) e.CaptureVirt();
            s->Close(true);
          }
          if (close(c.fd) < 0 && !upload && !e.failed() && !c.ioErr) c.Io("close");
        }
        if (c.sha) {
          unsigned char out[EVP_MAX_MD_SIZE];
          unsigned int len = 0;
          if (EVP_DigestFinal_ex(c.sha, out, &len) == 1) r.sha256 = Hex(out, len);
          EVP_MD_CTX_free(c.sha);
        }
        if (c.seg && c.segFill) c.EndSegment();
        if (c.seg) {
          EVP_MD_CTX_free(c.seg);
          if (!c.segFailed) {
            r.segments = std::move(c.segs);
            r.segmented = true;
          }
        }
        if (c.fd < 0 || c.ioErr) s->Close(true);
        r.bytes = c.bytes;
        r.position = c.position;
        r.ioErr = c.ioErr;
        r.ioWhat = c.ioWhat ? c.ioWhat : "";
        r.cancelled = c.cancelled;
      },
      [path](Napi::Env env, FileResult& r) -> Napi::Value {
        if (r.cancelled || r.ioErr) {
          Napi::Error err = Napi::Error::New(env, r.cancelled ? std::string("the transfer was cancelled")
                                                              : r.ioWhat + " " + path + ": " + strerror(r.ioErr));
          err.Value().Set("native", r.cancelled ? "cancelled" : "io");
          if (r.ioErr) {
            err.Value().Set("errno", r.ioErr);
            err.Value().Set("syscall", r.ioWhat);
            err.Value().Set("path", path);
          }
          throw err;
        }
        Napi::Object o = Napi::Object::New(env);
        o.Set("bytes", U64(env, r.bytes));
        o.Set("position", U64(env, r.position));
        if (!r.sha256.empty()) o.Set("sha256", r.sha256);
        if (r.segmented) {
          Napi::Array a = Napi::Array::New(env, r.segments.size());
          for (size_t i = 0; i < r.segments.size(); i++) a.Set((uint32_t)i, r.segments[i]);
          o.Set("segments", a);
        }
        return o;
      });
}

Napi::Value VolStream::SendFile(const Napi::CallbackInfo& info) { return FileTransfer(info, state_, hub_, target_, true); }
Napi::Value VolStream::RecvFile(const Napi::CallbackInfo& info) { return FileTransfer(info, state_, hub_, target_, false); }

}  // namespace vk
