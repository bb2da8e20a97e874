#include "vm/remote/volumes.h"

#include <libvirt/virterror.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>
#include <thread>

#include "util/error.h"
#include "util/files.h"
#include "vm/libvirt/common.h"

namespace klp::vm::remote {
using libvirt::lastError;
using libvirt::lastErrorIs;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Owning handles: every early throw below frees what it looked up.
struct PoolRef {
    virStoragePoolPtr p = nullptr;
    ~PoolRef() {
        if (p)
            virStoragePoolFree(p);
    }
};
struct VolRef {
    virStorageVolPtr v = nullptr;
    ~VolRef() {
        if (v)
            virStorageVolFree(v);
    }
    VolRef() = default;
    explicit VolRef(virStorageVolPtr x) : v(x) {}
    VolRef(VolRef&& o) noexcept : v(o.v) { o.v = nullptr; }
    VolRef& operator=(VolRef&& o) noexcept {
        std::swap(v, o.v);
        return *this;
    }
};
struct StreamRef {
    virStreamPtr s = nullptr;
    ~StreamRef() {
        if (s)
            virStreamFree(s);
    }
};

std::string xmlEscape(const std::string& s) {
    pugi::xml_document d;
    d.append_child("x").text() = s.c_str();
    std::ostringstream out;
    d.first_child().first_child().print(out, "", pugi::format_raw);
    return out.str();
}

// The pool, running. Two processes may define it at once: the loser's define
// fails and it finds the winner's.
PoolRef ensurePool(virConnectPtr conn) {
    PoolRef pool;
    pool.p = virStoragePoolLookupByName(conn, kRemotePool);
    if (!pool.p) {
        std::string xml = std::string("<pool type='dir'><name>") + kRemotePool + "</name><target><path>" +
                          kRemotePoolDir + "</path></target></pool>";
        pool.p = virStoragePoolDefineXML(conn, xml.c_str(), 0);
        if (pool.p) {
            // Build = mkdir -p the target; it fails harmlessly when the dir exists.
            virStoragePoolBuild(pool.p, 0);
            virStoragePoolSetAutostart(pool.p, 1);
        } else {
            pool.p = virStoragePoolLookupByName(conn, kRemotePool);
        }
        if (!pool.p)
            throw HarnessError(std::string("libvirt: cannot define storage pool ") + kRemotePool + ": " +
                               lastError());
    }
    if (virStoragePoolIsActive(pool.p) != 1 && virStoragePoolCreate(pool.p, 0) < 0 &&
        virStoragePoolIsActive(pool.p) != 1)
        throw HarnessError(std::string("libvirt: cannot start storage pool ") + kRemotePool + ": " + lastError());
    return pool;
}

VolRef lookupVol(virStoragePoolPtr pool, const std::string& name) {
    return VolRef(virStorageVolLookupByName(pool, name.c_str()));
}

// Creates a raw volume; null when the name is taken (someone else got there first).
VolRef createRaw(virStoragePoolPtr pool, const std::string& name, unsigned long long bytes, int mode) {
    char modeText[8];
    std::snprintf(modeText, sizeof modeText, "%04o", mode);
    std::string xml = "<volume><name>" + xmlEscape(name) + "</name><capacity unit='bytes'>" +
                      std::to_string(bytes) +
                      "</capacity><allocation unit='bytes'>0</allocation><target><format type='raw'/>"
                      "<permissions><mode>" + modeText + "</mode></permissions></target></volume>";
    VolRef v(virStorageVolCreateXML(pool, xml.c_str(), 0));
    if (!v.v && !lastErrorIs(VIR_ERR_STORAGE_VOL_EXIST))
        throw HarnessError("libvirt: cannot create volume " + name + ": " + lastError());
    return v;
}

std::string volPath(virStorageVolPtr v) {
    char* p = virStorageVolGetPath(v);
    if (!p)
        throw HarnessError("libvirt: volume without a path: " + lastError());
    std::string s = p;
    free(p);
    return s;
}

unsigned long long capacityOf(virStorageVolPtr v, unsigned long long* allocation = nullptr) {
    virStorageVolInfo info{};
    if (virStorageVolGetInfo(v, &info) < 0)
        return ~0ULL;
    if (allocation)
        *allocation = info.allocation;
    return info.capacity;
}

// Sends `data` (a file or bytes) into `vol` through a blocking stream, in
// chunks no bigger than one RPC message (256 KiB).
void sendInto(virStorageVolPtr vol, const std::string& what, std::istream& data, unsigned long long size) {
    StreamRef st;
    st.s = virStreamNew(virStorageVolGetConnect(vol), 0);
    if (!st.s || virStorageVolUpload(vol, st.s, 0, size, 0) < 0)
        throw HarnessError("libvirt: cannot upload " + what + ": " + lastError());
    std::vector<char> buf(256 * 1024);
    unsigned long long sent = 0;
    while (sent < size) {
        data.read(buf.data(), static_cast<std::streamsize>(std::min<unsigned long long>(buf.size(), size - sent)));
        size_t n = static_cast<size_t>(data.gcount());
        if (n == 0) {
            virStreamAbort(st.s);
            throw HarnessError("upload of " + what + ": file shrank while being sent");
        }
        for (size_t off = 0; off < n;) {
            int w = virStreamSend(st.s, buf.data() + off, n - off);
            if (w < 0) {
                std::string msg = lastError();
                virStreamAbort(st.s);
                throw HarnessError("libvirt: upload of " + what + " failed: " + msg);
            }
            off += static_cast<size_t>(w);
        }
        sent += n;
    }
    if (virStreamFinish(st.s) < 0)
        throw HarnessError("libvirt: upload of " + what + " failed at the end: " + lastError());
}

// How long an unfinished volume may go without growing before it is taken for
// the leftover of a crashed upload (a live upload writes every chunk at once).
constexpr auto kStalledUpload = 20s;
constexpr auto kUploadLimit = 30min;

// The content-keyed volume `name` of `size` bytes, uploaded from `data` unless a
// complete one is there. Returns its path.
std::string cachedVolume(virConnectPtr conn, const std::string& name, unsigned long long size, int mode,
                         const std::string& what, const std::function<std::unique_ptr<std::istream>()>& open) {
    PoolRef pool = ensurePool(conn);
    const std::string marker = name + ".ok";
    const auto deadline = Clock::now() + kUploadLimit;
    unsigned long long lastAlloc = ~0ULL;
    auto lastGrowth = Clock::now();
    for (;;) {
        VolRef vol = lookupVol(pool.p, name);
        VolRef done = lookupVol(pool.p, marker);
        if (vol.v && done.v) {
            unsigned long long capacity = capacityOf(vol.v);
            if (capacity == size)
                return volPath(vol.v);
            if (capacity != ~0ULL) {
                // Same key, other size: the key was not a content key. Replace it
                // (marker first: a marker must never outlive its volume's content).
                virStorageVolDelete(done.v, 0);
                virStorageVolDelete(vol.v, 0);
            }
            continue;
        }
        if (!vol.v && done.v) {
            virStorageVolDelete(done.v, 0);  // its volume was deleted by hand
            continue;
        }
        if (!vol.v) {
            VolRef mine = createRaw(pool.p, name, size, mode);
            if (!mine.v)
                continue;  // another uploader created it just now: wait for it below
            try {
                auto in = open();
                sendInto(mine.v, what, *in, size);
                // The marker is the commit: it exists only after every byte arrived.
                VolRef ok = createRaw(pool.p, marker, 0, 0600);
            } catch (...) {
                virStorageVolDelete(mine.v, 0);
                throw;
            }
            return volPath(mine.v);
        }
        // Someone else's upload, or a crashed one: wait while it grows.
        unsigned long long alloc = 0;
        capacityOf(vol.v, &alloc);
        if (alloc != lastAlloc) {
            lastAlloc = alloc;
            lastGrowth = Clock::now();
        } else if (Clock::now() - lastGrowth > kStalledUpload) {
            virStorageVolDelete(vol.v, 0);  // stale; whoever creates it next uploads
            lastAlloc = ~0ULL;
            continue;
        }
        if (Clock::now() > deadline)
            throw HarnessError("libvirt: gave up waiting for another upload of " + name);
        std::this_thread::sleep_for(500ms);
    }
}

// Volume names are file names in the pool's dir: no '/', and nothing a shell
// or libvirt's XML would trip on.
std::string volumeSafe(std::string s) {
    for (char& c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+'))
            c = '_';
    return s;
}

}  // namespace

std::string uploadImage(virConnectPtr conn, const fs::path& local, const std::string& contentKey) {
    std::error_code ec;
    auto size = fs::file_size(local, ec);
    if (ec)
        throw HarnessError("cannot upload " + local.string() + ": " + ec.message());
    return cachedVolume(conn, volumeSafe(contentKey + "-" + local.filename().string()), size, 0644,
                        local.string(), [&] {
                            auto in = std::make_unique<std::ifstream>(local, std::ios::binary);
                            if (!*in)
                                throw HarnessError("cannot read " + local.string());
                            return std::unique_ptr<std::istream>(std::move(in));
                        });
}

std::string createScratchQcow2(virConnectPtr conn, const std::string& name, int mib) {
    PoolRef pool = ensurePool(conn);
    std::string vname = volumeSafe(name);
    if (VolRef old = lookupVol(pool.p, vname); old.v)
        virStorageVolDelete(old.v, 0);
    // The host's libvirt runs qemu-img for this.
    std::string xml = "<volume><name>" + xmlEscape(vname) + "</name><capacity unit='MiB'>" + std::to_string(mib) +
                      "</capacity><target><format type='qcow2'/></target></volume>";
    VolRef v(virStorageVolCreateXML(pool.p, xml.c_str(), 0));
    if (!v.v)
        throw HarnessError("libvirt: cannot create qcow2 volume " + vname + ": " + lastError());
    return volPath(v.v);
}

void deleteVolume(virConnectPtr conn, const std::string& pathOnHost) {
    VolRef v(virStorageVolLookupByPath(conn, pathOnHost.c_str()));
    if (!v.v)
        return;  // gone already (or never made)
    if (virStorageVolDelete(v.v, 0) < 0 && !lastErrorIs(VIR_ERR_NO_STORAGE_VOL))
        throw HarnessError("libvirt: cannot delete volume " + pathOnHost + ": " + lastError());
}

std::string vmstateVolumeName(const std::string& domainName) {
    return volumeSafe(std::string(kVmstatePrefix) + domainName + kVmstateSuffix);
}

int sweepRemoteVmstate(virConnectPtr conn) {
    try {
        PoolRef pool = ensurePool(conn);
        // Names of vmstate volumes whose domain is not there.
        auto orphans = [&] {
            std::vector<std::string> out;
            virStorageVolPtr* vols = nullptr;
            int n = virStoragePoolListAllVolumes(pool.p, &vols, 0);
            for (int i = 0; i < n; i++) {
                VolRef v(vols[i]);
                const char* cname = virStorageVolGetName(v.v);
                std::string name = cname ? cname : "";
                const std::string prefix = kVmstatePrefix, suffix = kVmstateSuffix;
                if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
                    name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
                    continue;
                std::string domain = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
                virDomainPtr d = virDomainLookupByName(conn, domain.c_str());
                if (d)
                    virDomainFree(d);
                else
                    out.push_back(name);
            }
            free(vols);
            return out;
        };
        auto first = orphans();
        if (first.empty())
            return 0;
        // A starting guest's volume exists a moment before its domain does: only
        // what is still an orphan a little later is a leftover.
        std::this_thread::sleep_for(2s);
        int swept = 0;
        for (const auto& name : orphans())
            if (std::find(first.begin(), first.end(), name) != first.end())
                if (VolRef v = lookupVol(pool.p, name); v.v && virStorageVolDelete(v.v, 0) == 0)
                    swept++;
        return swept;
    } catch (const std::exception&) {
        return 0;  // no pool (yet): nothing to sweep; uploads report real trouble
    }
}

std::string remoteEmulator(virConnectPtr conn, const MachineSpec& spec) {
    if (!libvirt::needsSingleThreadTcg(spec))
        return "";
    // The same wrapper as locally (common.h), but it must exist on that host:
    // aimed at the host's QEMU (from its domain capabilities), uploaded.
    char* caps = virConnectGetDomainCapabilities(conn, nullptr, spec.arch->libvirtArch.c_str(),
                                                 spec.arch->machine.c_str(), "qemu", 0);
    if (!caps)
        throw HarnessError("libvirt: no QEMU for " + spec.arch->libvirtArch + " on the host: " + lastError());
    pugi::xml_document doc;
    doc.load_string(caps);
    free(caps);
    std::string qemu = doc.child("domainCapabilities").child("path").text().as_string();
    if (qemu.empty() || qemu.find_first_of("'\"\\$` ") != std::string::npos)
        throw HarnessError("libvirt: host reports no usable QEMU path for " + spec.arch->libvirtArch);
    std::string script = libvirt::tcgSingleThreadScript(qemu);
    std::string name = volumeSafe(sha256Hex(script).substr(0, 16) + "-tcg-single-" + fs::path(qemu).filename().string());
    return cachedVolume(conn, name, script.size(), 0755, "the TCG wrapper",
                        [&] { return std::unique_ptr<std::istream>(new std::istringstream(script)); });
}

}  // namespace klp::vm::remote
