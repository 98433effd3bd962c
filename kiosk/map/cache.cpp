// TileCache: ready meshes owned by the UI thread, requests decoded by one worker thread.
//
// UI thread: get() / peek() / end_frame() touch `ready` without a lock (only it uses it);
// finished meshes arrive through `done` under the mutex and move into `ready` at the next call.
// Worker: waits on the condition variable for a request (newest first), reads, inflates, decodes
// and builds the mesh without holding the lock, hands it over, then calls wake() so the app
// draws a frame. The frame never waits for the worker.
#include "map/map.h"
#include "map/map_internal.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace map {

namespace {

std::string key_of(TileId id, const std::string& lang) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%d/%d/%d/", id.z, id.x, id.y);
    return buf + lang;
}

struct Request {
    TileId id;
    std::string lang, key;
};

struct Ready {
    std::unique_ptr<TileMesh> mesh;   // null: the tile failed (not asked again)
    size_t bytes = 0;
    uint64_t used = 0;                // frame of last use
};

}  // namespace

struct TileCache::Impl {
    std::unique_ptr<TileFile> file;   // the worker's alone after construction
    TileSetInfo info;
    std::function<void()> wake;
    size_t max_bytes;

    // UI thread only.
    std::unordered_map<std::string, Ready> ready;
    size_t ready_bytes = 0;
    uint64_t frame = 1;
    std::unordered_set<std::string> wanted;   // requested this frame
    LabelMemory labels;

    // Shared with the worker, under `mu`.
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<Request> queue;                // front = newest
    std::unordered_set<std::string> pending;  // queued or being decoded
    std::vector<std::pair<std::string, std::unique_ptr<TileMesh>>> done;
    bool decoding = false;
    bool stop = false;
    std::string last_error;

    std::thread worker;

    void collect() {   // UI thread: move finished meshes into `ready`
        std::vector<std::pair<std::string, std::unique_ptr<TileMesh>>> got;
        {
            std::lock_guard<std::mutex> lock(mu);
            if (done.empty()) return;
            got.swap(done);
            for (auto& [key, mesh] : got) pending.erase(key);
        }
        for (auto& [key, mesh] : got) {
            Ready r;
            r.bytes = mesh ? mesh->bytes() : key.size();
            r.mesh = std::move(mesh);
            r.used = frame;
            ready_bytes += r.bytes;
            auto old = ready.find(key);
            if (old != ready.end()) ready_bytes -= old->second.bytes;
            ready[key] = std::move(r);
        }
    }

    void run() {
        std::string bytes, error;
        DecodedTile tile;
        for (;;) {
            Request req;
            {
                std::unique_lock<std::mutex> lock(mu);
                cv.wait(lock, [&] { return stop || !queue.empty(); });
                if (stop) return;
                req = std::move(queue.front());
                queue.pop_front();
                decoding = true;
            }
            std::unique_ptr<TileMesh> mesh;
            error.clear();
            if (file->read(req.id, &bytes, &error) && decode_mvt(bytes, &tile, &error))
                mesh = std::make_unique<TileMesh>(build_mesh(req.id, tile, req.lang));
            {
                std::lock_guard<std::mutex> lock(mu);
                if (!mesh) last_error = error;
                done.emplace_back(req.key, std::move(mesh));
                decoding = false;
            }
            if (wake) wake();
        }
    }
};

TileCache::TileCache(std::unique_ptr<TileFile> file, std::function<void()> wake, size_t max_bytes)
    : impl_(std::make_unique<Impl>()) {
    impl_->file = std::move(file);
    impl_->info = impl_->file->info();
    impl_->wake = std::move(wake);
    impl_->max_bytes = max_bytes;
    impl_->worker = std::thread([this] { impl_->run(); });
}

TileCache::~TileCache() {
    {
        std::lock_guard<std::mutex> lock(impl_->mu);
        impl_->stop = true;
    }
    impl_->cv.notify_all();
    impl_->worker.join();
}

const TileSetInfo& TileCache::info() const { return impl_->info; }

const TileMesh* TileCache::peek(TileId id, const std::string& lang) {
    impl_->collect();
    auto it = impl_->ready.find(key_of(id, lang));
    if (it == impl_->ready.end()) return nullptr;
    it->second.used = impl_->frame;
    return it->second.mesh.get();
}

const TileMesh* TileCache::get(TileId id, const std::string& lang) {
    Impl& m = *impl_;
    m.collect();
    std::string key = key_of(id, lang);
    auto it = m.ready.find(key);
    if (it != m.ready.end()) {
        it->second.used = m.frame;
        return it->second.mesh.get();
    }
    if (id.z < 0 || id.z > kMaxTileZoom) return nullptr;
    m.wanted.insert(key);
    {
        std::lock_guard<std::mutex> lock(m.mu);
        if (m.pending.count(key)) {
            // Asked again: move it to the front (the newest wish is decoded first).
            for (auto q = m.queue.begin(); q != m.queue.end(); ++q)
                if (q->key == key) {
                    if (q != m.queue.begin()) {
                        Request r = std::move(*q);
                        m.queue.erase(q);
                        m.queue.push_front(std::move(r));
                    }
                    break;
                }
            return nullptr;
        }
        m.pending.insert(key);
        m.queue.push_front(Request{id, lang, std::move(key)});
    }
    m.cv.notify_one();
    return nullptr;
}

void TileCache::end_frame() {
    Impl& m = *impl_;
    m.collect();
    {
        // Requests nobody asked for this frame are stale (panned or zoomed away).
        std::lock_guard<std::mutex> lock(m.mu);
        for (auto q = m.queue.begin(); q != m.queue.end();) {
            if (m.wanted.count(q->key)) {
                ++q;
            } else {
                m.pending.erase(q->key);
                q = m.queue.erase(q);
            }
        }
    }
    m.wanted.clear();
    if (m.ready_bytes > m.max_bytes) {
        // Least recently used first; never what this frame drew.
        std::vector<std::pair<uint64_t, std::string>> old;
        for (const auto& [key, r] : m.ready)
            if (r.used < m.frame) old.emplace_back(r.used, key);
        std::sort(old.begin(), old.end());
        for (const auto& [used, key] : old) {
            if (m.ready_bytes <= m.max_bytes) break;
            auto it = m.ready.find(key);
            m.ready_bytes -= it->second.bytes;
            m.ready.erase(it);
        }
    }
    m.frame++;
}

bool TileCache::busy() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return !impl_->queue.empty() || impl_->decoding;
}

std::string TileCache::last_error() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->last_error;
}

size_t TileCache::bytes() const { return impl_->ready_bytes; }

TileCache::LabelMemory& TileCache::label_memory() { return impl_->labels; }

}  // namespace map
