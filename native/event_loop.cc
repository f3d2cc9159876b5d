#include "event_loop.h"
#include <libvirt/libvirt.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace vk {

namespace {

struct Watch {
  int id, fd, events;
  virEventHandleCallback cb;
  void* opaque;
  virFreeCallback ff;
  bool detached, deleted;
};
struct Timer {
  int id, ms;
  long long due;  // ms since epoch of steady clock; meaningless when ms < 0
  virEventTimeoutCallback cb;
  void* opaque;
  virFreeCallback ff;
  bool deleted;
};

// Never destroyed: the loop thread runs until the process is gone, past static destructors.
std::mutex& mu = *new std::mutex();
std::vector<Watch>& watches = *new std::vector<Watch>();
std::vector<Timer>& timers = *new std::vector<Timer>();
int nextId = 1;
int wakeFds[2] = {-1, -1};
std::thread::id loopThread;
thread_local int detachedDepth = 0;
thread_local std::vector<int>* collect = nullptr;

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
// Called with mu held. The loop thread never needs waking by itself.
void Wake() {
  if (std::this_thread::get_id() == loopThread) return;
  char c = 0;
  ssize_t r = write(wakeFds[1], &c, 1);
  (void)r;
}
short ToPoll(int ev) {
  return (ev & VIR_EVENT_HANDLE_READABLE ? POLLIN : 0) | (ev & VIR_EVENT_HANDLE_WRITABLE ? POLLOUT : 0);
}
int FromPoll(short re) {
  return (re & POLLIN ? VIR_EVENT_HANDLE_READABLE : 0) | (re & POLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
         (re & POLLERR ? VIR_EVENT_HANDLE_ERROR : 0) | (re & POLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0);
}

int AddHandle(int fd, int events, virEventHandleCallback cb, void* opaque, virFreeCallback ff) {
  std::lock_guard<std::mutex> l(mu);
  int id = nextId++;
  watches.push_back({id, fd, events, cb, opaque, ff, detachedDepth > 0, false});
  if (collect) collect->push_back(id);
  if (detachedDepth == 0) Wake();
  return id;
}
void UpdateHandle(int id, int events) {
  std::lock_guard<std::mutex> l(mu);
  for (auto& w : watches)
    if (w.id == id && !w.deleted) {
      // Disabling needs no wake-up (the loop re-checks the mask before dispatch); enabling does.
      bool wake = !w.detached && events != 0 && w.events != events;
      w.events = events;
      if (wake) Wake();
    }
}
int RemoveHandle(int id) {
  std::lock_guard<std::mutex> l(mu);
  for (auto& w : watches)
    if (w.id == id && !w.deleted) {
      w.deleted = true;  // freed on the loop thread: libvirt may hold locks its free callback takes
      Wake();
      return 0;
    }
  return -1;
}
int AddTimeout(int ms, virEventTimeoutCallback cb, void* opaque, virFreeCallback ff) {
  std::lock_guard<std::mutex> l(mu);
  int id = nextId++;
  timers.push_back({id, ms, ms >= 0 ? NowMs() + ms : 0, cb, opaque, ff, false});
  Wake();
  return id;
}
void UpdateTimeout(int id, int ms) {
  std::lock_guard<std::mutex> l(mu);
  for (auto& t : timers)
    if (t.id == id && !t.deleted) {
      // Pushing an armed timer later needs no wake-up: the loop wakes early and re-checks.
      bool wake = ms >= 0 && (t.ms < 0 || NowMs() + ms < t.due);
      t.ms = ms;
      t.due = ms >= 0 ? NowMs() + ms : 0;
      if (wake) Wake();
    }
}
int RemoveTimeout(int id) {
  std::lock_guard<std::mutex> l(mu);
  for (auto& t : timers)
    if (t.id == id && !t.deleted) {
      t.deleted = true;
      Wake();
      return 0;
    }
  return -1;
}

// One turn: poll, fire due timers, dispatch ready handles, free what was removed.
void RunOnce() {
  std::vector<pollfd> fds;
  std::vector<int> ids;
  int timeout = -1;
  {
    std::lock_guard<std::mutex> l(mu);
    fds.push_back({wakeFds[0], POLLIN, 0});
    ids.push_back(0);
    // Detached watches are polled too (the daemon's keepalive pings must be answered), but
    // with the mask of the last rebuild: their toggles never wake this thread.
    for (auto& w : watches)
      if (!w.deleted && w.events) {
        fds.push_back({w.fd, ToPoll(w.events), 0});
        ids.push_back(w.id);
      }
    long long now = NowMs();
    for (auto& t : timers)
      if (!t.deleted && t.ms >= 0) {
        long long wait = t.due - now;
        if (wait < 0) wait = 0;
        if (timeout < 0 || wait < timeout) timeout = (int)wait;
      }
    // Rebuild at least every second, so a detached watch re-enabled without a wake-up is
    // polled again soon (libvirtd drops a client that ignores its pings for ~30 s).
    if (timeout < 0 || timeout > 1000) timeout = 1000;
  }
  int n = poll(fds.data(), fds.size(), timeout);
  if (n < 0 && errno != EINTR) return;
  if (fds[0].revents & POLLIN) {
    char buf[64];
    while (read(wakeFds[0], buf, sizeof buf) > 0) {
    }
  }
  // Timers: take what is due under the lock, call without it.
  std::vector<std::pair<virEventTimeoutCallback, std::pair<int, void*>>> due;
  {
    std::lock_guard<std::mutex> l(mu);
    long long now = NowMs();
    for (auto& t : timers)
      if (!t.deleted && t.ms >= 0 && t.due <= now) {
        due.push_back({t.cb, {t.id, t.opaque}});
        t.due = now + t.ms;
      }
  }
  for (auto& d : due) d.first(d.second.first, d.second.second);
  for (size_t i = 1; i < fds.size(); i++) {
    if (!fds[i].revents) continue;
    virEventHandleCallback cb = nullptr;
    void* opaque = nullptr;
    int fd = -1, ev = 0;
    {
      std::lock_guard<std::mutex> l(mu);
      for (auto& w : watches)
        if (w.id == ids[i] && !w.deleted && w.events) {
          cb = w.cb;
          opaque = w.opaque;
          fd = w.fd;
          ev = FromPoll(fds[i].revents) & (w.events | VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP);
        }
    }
    if (cb && ev) cb(ids[i], fd, ev, opaque);
  }
  // Free callbacks run here, outside the lock and on this thread, as libvirt expects.
  std::vector<std::pair<virFreeCallback, void*>> frees;
  {
    std::lock_guard<std::mutex> l(mu);
    for (auto it = watches.begin(); it != watches.end();)
      if (it->deleted) {
        if (it->ff) frees.push_back({it->ff, it->opaque});
        it = watches.erase(it);
      } else ++it;
    for (auto it = timers.begin(); it != timers.end();)
      if (it->deleted) {
        if (it->ff) frees.push_back({it->ff, it->opaque});
        it = timers.erase(it);
      } else ++it;
  }
  for (auto& f : frees) f.first(f.second);
}

std::once_flag registered, started;

}  // namespace

CollectWatches::CollectWatches(std::vector<int>* out) : prev(collect) { collect = out; }
CollectWatches::~CollectWatches() { collect = prev; }

void ShutdownWatches(const std::vector<int>& ids) {
  std::lock_guard<std::mutex> l(mu);
  for (int id : ids)
    for (auto& w : watches)
      if (w.id == id && !w.deleted) shutdown(w.fd, SHUT_RDWR);
}

DetachedIO::DetachedIO() { detachedDepth++; }
DetachedIO::~DetachedIO() { detachedDepth--; }

void RegisterEventImpl() {
  std::call_once(registered, [] {
    if (pipe2(wakeFds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    virEventRegisterImpl(AddHandle, UpdateHandle, RemoveHandle, AddTimeout, UpdateTimeout, RemoveTimeout);
  });
}

void EnsureEventLoop() {
  RegisterEventImpl();
  std::call_once(started, [] {
    // Detached on purpose: it lives as long as the process and owns no JS state; all delivery
    // to JS goes through unref'd thread-safe functions, so it never holds Node open.
    std::thread t([] {
      {
        std::lock_guard<std::mutex> l(mu);
        loopThread = std::this_thread::get_id();
      }
      for (;;) RunOnce();
    });
    t.detach();
  });
}

}  // namespace vk
