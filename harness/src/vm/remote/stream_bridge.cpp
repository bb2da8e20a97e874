// StreamBridge (stream_bridge.h): a remote domain's console and virtio channels as a
// local console.log and local unix sockets.
//
// Why non-blocking streams on libvirt's event loop rather than blocking streams
// in a thread per direction: that is how `virsh console` uses the remote driver,
// whose stream calls share one connection; a blocking virStreamRecv waiting for
// the guest while the other thread must send first (SSH clients speak first)
// is exactly the case to avoid. On the loop, every stream, socket and buffer
// below is touched by one thread only (the loop's), so there are no locks but
// the one stop() waits on.
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "util/unix_socket.h"
#include "util/error.h"
#include "vm/libvirt/common.h"
#include "vm/remote/stream_bridge.h"

namespace klp::vm::remote {
using libvirt::lastError;
namespace fs = std::filesystem;

namespace {

// Bytes queued per direction before we stop reading the other side.
constexpr size_t kMaxQueued = 1 << 20;
constexpr size_t kChunk = 64 * 1024;

// One channel: its local listening socket and at most one client bridged to a
// stream on the guest's port.
struct Link {
    StreamBridge::Core* core = nullptr;
    std::string name;
    fs::path path;
    int listenFd = -1;
    int listenWatch = -1;
    int clientFd = -1;
    int clientWatch = -1;
    virStreamPtr stream = nullptr;
    std::string toGuest, toClient;
};

}  // namespace

struct StreamBridge::Core : std::enable_shared_from_this<Core> {
    virDomainPtr dom = nullptr;
    virStreamPtr console = nullptr;
    int logFd = -1;
    std::vector<std::unique_ptr<Link>> links;

    std::atomic<std::thread::id> loopThread{};
    std::atomic<bool> teardownClaimed{false};
    std::mutex m;
    std::condition_variable cv;
    int registrations = 0;  // event registrations whose free callback has not run
    int sessions = 0;       // links with a client and a stream
    bool tornDown = false;

    // The opaque of every fd and timer registration: keeps the core alive until
    // libvirt has let go of the callback (its free function ran), and names the
    // link. Stream callbacks get plain pointers instead: with libvirt 9.0's remote
    // driver a stream callback's free function was never called (stop() waited
    // for them in vain). That is safe because every stream callback is removed
    // on the loop thread, in teardown at the latest, before the core can go.
    struct Ctx {
        std::shared_ptr<Core> core;
        Link* link;
    };
    Ctx* ctx(Link* l) {
        std::lock_guard lock(m);
        registrations++;
        return new Ctx{shared_from_this(), l};
    }
    static void freeCtx(void* p) {
        auto* c = static_cast<Ctx*>(p);
        std::shared_ptr<Core> core = std::move(c->core);
        delete c;
        {
            std::lock_guard lock(core->m);
            core->registrations--;
        }
        core->cv.notify_all();
    }
    static Ctx* in(void* p) {
        auto* c = static_cast<Ctx*>(p);
        c->core->loopThread = std::this_thread::get_id();
        return c;
    }

    // --- console: stream -> file ---------------------------------------------
    static void onConsole(virStreamPtr st, int events, void* opaque) {
        Core& core = *static_cast<Core*>(opaque);
        core.loopThread = std::this_thread::get_id();
        if (st != core.console)
            return;
        char buf[kChunk];
        if (events & VIR_STREAM_EVENT_READABLE) {
            for (;;) {
                int n = virStreamRecv(st, buf, sizeof buf);
                if (n == -2)
                    break;  // drained
                if (n <= 0)
                    return core.closeConsole();  // the domain stopped (EOF) or the stream broke
                for (int off = 0; off < n;) {
                    ssize_t w = write(core.logFd, buf + off, static_cast<size_t>(n - off));
                    if (w < 0 && errno == EINTR)
                        continue;
                    if (w < 0)
                        break;  // a full disk: drop console output rather than the guest
                    off += static_cast<int>(w);
                }
            }
        }
        if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))
            core.closeConsole();
    }
    void closeConsole() {
        if (!console)
            return;
        virStreamEventRemoveCallback(console);
        virStreamAbort(console);
        virStreamFree(console);
        console = nullptr;
    }

    // --- channels: local client <-> stream ------------------------------------
    static void onListen(int, int fd, int, void* opaque) {
        Ctx* c = in(opaque);
        Link& l = *c->link;
        if (l.stream || fd != l.listenFd)
            return;  // one client at a time; the listener is paused meanwhile
        int client = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0)
            return;
        c->core->openSession(l, client);
    }

    void openSession(Link& l, int client) {
        virStreamPtr st = virStreamNew(virDomainGetConnect(dom), VIR_STREAM_NONBLOCK);
        // FORCE: a previous session's stream the daemon has not yet dropped must
        // not refuse this one.
        if (!st || virDomainOpenChannel(dom, l.name.c_str(), st, VIR_DOMAIN_CHANNEL_FORCE) < 0 ||
            virStreamEventAddCallback(st, VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                              VIR_STREAM_EVENT_HANGUP,
                                      onStream, &l, nullptr) < 0) {
            // The guest is not there (yet, or any more): the client sees EOF and
            // retries, as with QEMU's own socket before QEMU listens.
            if (st) {
                virStreamAbort(st);
                virStreamFree(st);
            }
            close(client);
            return;
        }
        l.stream = st;
        l.clientFd = client;
        {
            std::lock_guard lock(m);
            sessions++;
        }
        l.clientWatch = virEventAddHandle(client, VIR_EVENT_HANDLE_READABLE, onClient, ctx(&l), freeCtx);
        virEventUpdateHandle(l.listenWatch, 0);  // the next client waits in the backlog
        if (l.clientWatch < 0)
            endSession(l);
    }

    void endSession(Link& l) {
        if (l.stream) {
            virStreamEventRemoveCallback(l.stream);
            virStreamAbort(l.stream);  // the daemon closes its connection to QEMU's socket
            virStreamFree(l.stream);
            l.stream = nullptr;
            {
                std::lock_guard lock(m);
                sessions--;
            }
            cv.notify_all();
        }
        if (l.clientWatch >= 0)
            virEventRemoveHandle(l.clientWatch);
        l.clientWatch = -1;
        // Closing now is safe: we are on the loop thread, which polls a removed
        // handle never again.
        if (l.clientFd >= 0)
            close(l.clientFd);
        l.clientFd = -1;
        l.toGuest.clear();
        l.toClient.clear();
        if (l.listenWatch >= 0)
            virEventUpdateHandle(l.listenWatch, VIR_EVENT_HANDLE_READABLE);
    }

    static void onClient(int, int fd, int events, void* opaque) {
        Ctx* c = in(opaque);
        Link& l = *c->link;
        if (fd != l.clientFd)
            return;
        Core& core = *c->core;
        if (events & VIR_EVENT_HANDLE_READABLE) {
            char buf[kChunk];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                return core.endSession(l);  // the client went: so does the stream
            if (n > 0)
                l.toGuest.append(buf, static_cast<size_t>(n));
        } else if (events & (VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP)) {
            return core.endSession(l);
        }
        if ((events & VIR_EVENT_HANDLE_WRITABLE) && !core.flushToClient(l))
            return;
        if (!core.pushToGuest(l))
            return;
        core.updateInterest(l);
    }

    static void onStream(virStreamPtr st, int events, void* opaque) {
        Link& l = *static_cast<Link*>(opaque);
        if (st != l.stream)
            return;  // an event of a session that already ended
        Core& core = *l.core;
        core.loopThread = std::this_thread::get_id();
        if (events & VIR_STREAM_EVENT_READABLE) {
            char buf[kChunk];
            while (l.toClient.size() < kMaxQueued) {
                int n = virStreamRecv(st, buf, sizeof buf);
                if (n == -2)
                    break;
                if (n <= 0)
                    return core.endSession(l);  // guest side closed (QEMU gone) or broke
                l.toClient.append(buf, static_cast<size_t>(n));
            }
            if (!core.flushToClient(l))
                return;
        }
        if ((events & VIR_STREAM_EVENT_WRITABLE) && !core.pushToGuest(l))
            return;
        if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP))
            return core.endSession(l);
        core.updateInterest(l);
    }

    // Each returns false when it ended the session.
    bool pushToGuest(Link& l) {
        while (!l.toGuest.empty()) {
            int n = virStreamSend(l.stream, l.toGuest.data(), std::min(l.toGuest.size(), kChunk));
            if (n == -2)
                break;  // stream full: WRITABLE tells when to go on
            if (n < 0) {
                endSession(l);
                return false;
            }
            l.toGuest.erase(0, static_cast<size_t>(n));
        }
        return true;
    }
    bool flushToClient(Link& l) {
        while (!l.toClient.empty()) {
            ssize_t n = write(l.clientFd, l.toClient.data(), l.toClient.size());
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            if (n < 0) {
                endSession(l);
                return false;
            }
            l.toClient.erase(0, static_cast<size_t>(n));
        }
        return true;
    }
    // Read a side only while the queue towards the other has room; ask for
    // WRITABLE only while something waits.
    void updateInterest(Link& l) {
        int fdEvents = (l.toGuest.size() < kMaxQueued ? VIR_EVENT_HANDLE_READABLE : 0) |
                       (l.toClient.empty() ? 0 : VIR_EVENT_HANDLE_WRITABLE);
        virEventUpdateHandle(l.clientWatch, fdEvents);
        int stEvents = (l.toClient.size() < kMaxQueued ? VIR_STREAM_EVENT_READABLE : 0) |
                       (l.toGuest.empty() ? 0 : VIR_STREAM_EVENT_WRITABLE);
        virStreamEventUpdateCallback(l.stream, stEvents);
    }

    // --- stop -----------------------------------------------------------------
    static void onStopTimer(int timer, void* opaque) {
        virEventRemoveTimeout(timer);
        in(opaque)->core->teardown();
    }
    void teardown() {
        if (teardownClaimed.exchange(true))
            return;
        closeConsole();
        if (logFd >= 0)
            close(logFd);
        logFd = -1;
        for (auto& l : links) {
            endSession(*l);
            if (l->listenWatch >= 0)
                virEventRemoveHandle(l->listenWatch);
            l->listenWatch = -1;
            if (l->listenFd >= 0) {
                close(l->listenFd);
                unlink(l->path.c_str());
            }
            l->listenFd = -1;
        }
        if (dom)
            virDomainFree(dom);
        dom = nullptr;
        {
            std::lock_guard lock(m);
            tornDown = true;
        }
        cv.notify_all();
    }
};

namespace {

int listenUnix(const fs::path& path) {
    sockaddr_un addr = unixAddress(path);
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            throw HarnessError("not a socket, will not replace: " + path.string());
        unlink(path.c_str());
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
        std::string why = std::strerror(errno);
        if (fd >= 0)
            close(fd);
        throw HarnessError("cannot listen on " + path.string() + ": " + why);
    }
    return fd;
}

}  // namespace

StreamBridge::StreamBridge(virDomainPtr dom, const fs::path& consoleLog, const std::vector<Channel>& channels)
    : core_(std::make_shared<Core>()) {
    Core& core = *core_;
    virDomainRef(dom);
    core.dom = dom;
    try {
        // Every link exists before any callback can run: callbacks never see the
        // vector change.
        for (const auto& ch : channels) {
            auto l = std::make_unique<Link>();
            l->core = &core;
            l->name = ch.name;
            l->path = ch.socket;
            core.links.push_back(std::move(l));
        }
        if (!consoleLog.empty()) {
            core.logFd = open(consoleLog.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (core.logFd < 0)
                throw HarnessError("cannot write " + consoleLog.string() + ": " + std::strerror(errno));
            core.console = virStreamNew(virDomainGetConnect(dom), VIR_STREAM_NONBLOCK);
            // FORCE: take the console over from a client that may still hold it.
            if (!core.console || virDomainOpenConsole(dom, nullptr, core.console, VIR_DOMAIN_CONSOLE_FORCE) < 0)
                throw HarnessError("libvirt: cannot open the guest console: " + lastError());
            if (virStreamEventAddCallback(core.console,
                                          VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                              VIR_STREAM_EVENT_HANGUP,
                                          Core::onConsole, &core, nullptr) < 0)
                throw HarnessError("libvirt: cannot watch the console stream (was an event loop registered "
                                   "before the connection was opened?): " + lastError());
        }
        for (auto& l : core.links) {
            l->listenFd = listenUnix(l->path);
            l->listenWatch =
                virEventAddHandle(l->listenFd, VIR_EVENT_HANDLE_READABLE, Core::onListen, core.ctx(l.get()), Core::freeCtx);
            if (l->listenWatch < 0)
                throw HarnessError("libvirt: cannot watch " + l->path.string() + ": " + lastError());
        }
    } catch (...) {
        stop();
        throw;
    }
}

StreamBridge::~StreamBridge() { stop(); }

bool StreamBridge::waitIdle(std::chrono::milliseconds timeout) {
    if (!core_)
        return true;
    std::unique_lock lock(core_->m);
    return core_->cv.wait_for(lock, timeout, [&] { return core_->sessions == 0; });
}

void StreamBridge::stop() {
    if (!core_)
        return;
    std::shared_ptr<Core> core = std::move(core_);
    if (core->loopThread.load() == std::this_thread::get_id()) {
        core->teardown();  // called from a libvirt callback: we are the loop
        return;
    }
    // The loop owns the state: have it tear down, then wait until libvirt has
    // dropped every callback (their free functions ran).
    if (virEventAddTimeout(0, Core::onStopTimer, core->ctx(nullptr), Core::freeCtx) < 0)
        core->teardown();  // no event loop at all: nothing runs concurrently
    std::unique_lock lock(core->m);
    if (!core->cv.wait_for(lock, std::chrono::seconds(10), [&] { return core->tornDown && core->registrations == 0; })) {
        // The loop did not answer (stuck or gone): leave the streams to process
        // exit, but do not leave sockets behind in the run dir.
        for (auto& l : core->links)
            if (l->listenFd >= 0)
                unlink(l->path.c_str());
    }
}

}  // namespace klp::vm::remote
