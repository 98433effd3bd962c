// triangulate(): ear clipping of a polygon with holes.
//
// 1. Each ring becomes a circular linked list of its distinct points; the exterior is oriented
//    counter-clockwise (positive shoelace area in x-right, y-up terms), holes clockwise.
// 2. Holes are joined to the exterior one by one, the hole reaching furthest in +x first: from a
//    hole's rightmost vertex M a ray to +x meets the nearest boundary edge; the bridge goes to
//    that edge's endpoint, or to a reflex vertex inside the triangle (M, hit, endpoint) at the
//    smallest angle to the ray, which is then the visible one. The bridge is walked both ways
//    (two copies of its ends), so the result is one weakly simple ring.
//    A ring passing twice through one point is first cut there into simple loops; a loop turning
//    against its ring is a hole of it (or an island in a hole), assigned to the exterior holding it.
// 3. Ears are clipped: a convex vertex whose triangle holds no reflex vertex of the ring. Vertices
//    on a straight line or on top of their neighbour are dropped without a triangle (zero area).
//    When a full turn finds no ear (self-touching input), a convex vertex is clipped anyway so the
//    loop always ends; only a ring left with no convex vertex at all fails.
// Coordinates are tile units (integers in floats): the orientation tests in double are exact.
#include "map/map.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace map {

namespace {

struct Node {
    uint32_t index;       // into the output points
    double x, y;
    int prev, next;
};

struct Ring {
    std::vector<Node>* nodes;
    int start = -1;
};

double cross(const Node& a, const Node& b, const Node& c) {
    return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}
bool same(const Node& a, const Node& b) { return a.x == b.x && a.y == b.y; }

// p inside or on the counter-clockwise triangle (a, b, c).
bool in_triangle(const Node& a, const Node& b, const Node& c, const Node& p) {
    return cross(a, b, p) >= 0 && cross(b, c, p) >= 0 && cross(c, a, p) >= 0;
}

// Is the diagonal from a towards b inside the polygon's angle at a?
bool locally_inside(const std::vector<Node>& n, int a, int b) {
    const Node &A = n[a], &B = n[b], &P = n[A.prev], &N = n[A.next];
    if (cross(P, A, N) >= 0) return cross(A, N, B) >= 0 && cross(A, B, P) >= 0;
    return cross(A, N, B) >= 0 || cross(A, B, P) >= 0;
}

void unlink(std::vector<Node>& n, int i) {
    n[n[i].prev].next = n[i].next;
    n[n[i].next].prev = n[i].prev;
}

// Hole ring starting at m (its rightmost vertex) joined to the outer ring through `outer`.
bool bridge(std::vector<Node>& n, int outer, int m, size_t* work) {
    const double mx = n[m].x, my = n[m].y;
    double best_x = INFINITY;
    int target = -1;
    int p = outer;
    do {
        ++*work;
        const Node &P = n[p], &Q = n[P.next];
        if ((P.y <= my && Q.y >= my) || (P.y >= my && Q.y <= my)) {
            if (P.y == Q.y) {   // an edge along the ray: its nearer end
                const int e = P.x < Q.x ? p : P.next;
                if (n[e].x >= mx && n[e].x < best_x) best_x = n[e].x, target = e;
            } else {
                const double x = P.x + (my - P.y) * (Q.x - P.x) / (Q.y - P.y);
                if (x >= mx && x < best_x) {
                    best_x = x;
                    target = P.x > Q.x ? p : P.next;
                    if (x == P.x && P.y == my) target = p;
                    else if (x == Q.x && Q.y == my) target = P.next;
                }
            }
        }
        p = P.next;
    } while (p != outer);
    if (target < 0) return false;   // the hole is not inside the exterior
    // When the ray did not land on the vertex itself, a vertex inside (M, hit, target) may hide
    // the target: take the one at the smallest angle from the ray (nearest on a tie).
    if (!(n[target].x == best_x && n[target].y == my)) {
        Node M = n[m], I = n[m], T = n[target];
        I.x = best_x;
        if (cross(M, I, T) < 0) std::swap(I, T);   // counter-clockwise for in_triangle
        const Node& target_node = n[target];
        double best_tan = INFINITY, best_d = INFINITY;
        int q = outer;
        do {
            ++*work;
            const Node& Q = n[q];
            if (q != target && Q.x >= mx && !same(Q, target_node) && in_triangle(M, I, T, Q) && Q.x != mx) {
                const double tan = std::fabs(my - Q.y) / (Q.x - mx);
                const double d = (Q.x - mx) * (Q.x - mx) + (Q.y - my) * (Q.y - my);
                if (locally_inside(n, q, m) && (tan < best_tan || (tan == best_tan && d < best_d)))
                    best_tan = tan, best_d = d, target = q;
            }
            q = Q.next;
        } while (q != outer);
    }
    // Split: ... target -> m -> (hole) -> m' -> target' -> (rest of the exterior)
    const int a = target, b = m;
    const int a2 = (int)n.size();
    n.push_back(n[a]);
    const int b2 = (int)n.size();
    n.push_back(n[b]);
    const int an = n[a].next, bp = n[b].prev;
    n[a].next = b, n[b].prev = a;
    n[a2].next = an, n[an].prev = a2;
    n[b2].next = a2, n[a2].prev = b2;
    n[bp].next = b2, n[b2].prev = bp;
    return true;
}

// Work allowed for one polygon, in vertices visited by the ear test: ear clipping is quadratic,
// and a hostile tile may hold one ring of a hundred thousand points. Beyond it the polygon is left
// with the triangles cut so far (the worker stays responsive; a real tile's largest polygons need
// a small fraction of this).
constexpr size_t kWorkBudget = 200u << 20;

bool is_ear(const std::vector<Node>& n, int ear, size_t* work) {
    const Node &a = n[n[ear].prev], &b = n[ear], &c = n[b.next];
    if (cross(a, b, c) <= 0) return false;
    const double minx = std::min({a.x, b.x, c.x}), maxx = std::max({a.x, b.x, c.x});
    const double miny = std::min({a.y, b.y, c.y}), maxy = std::max({a.y, b.y, c.y});
    for (int p = c.next; p != b.prev; p = n[p].next) {
        ++*work;
        const Node& P = n[p];
        if (P.x < minx || P.x > maxx || P.y < miny || P.y > maxy) continue;
        if (same(P, a) || same(P, b) || same(P, c)) continue;
        if (in_triangle(a, b, c, P) && cross(n[P.prev], P, n[P.next]) <= 0) return false;
    }
    return true;
}

}  // namespace

namespace {

double loop_area(const std::vector<Node>& n, const std::vector<int>& ids) {
    double area = 0;
    for (size_t k = 0; k < ids.size(); k++) {
        const Node &p = n[ids[k]], &q = n[ids[(k + 1) % ids.size()]];
        area += p.x * q.y - q.x * p.y;
    }
    return area;
}

// A ring that passes twice through one point is cut there into simple loops: walking the ring, a
// point seen before closes the loop since then. Tile writers round to the grid, which makes such
// rings (a hole pinched against its exterior and written as part of it, for one).
std::vector<std::vector<int>> simple_loops(std::vector<Node>& n, const std::vector<int>& ids) {
    std::vector<std::vector<int>> loops;
    std::vector<int> path;
    std::unordered_map<uint64_t, size_t> at;   // position -> index in path
    auto key = [&](int id) {
        uint64_t k;
        const float xy[2] = {(float)n[id].x, (float)n[id].y};
        std::memcpy(&k, xy, sizeof k);
        return k;
    };
    for (int id : ids) {
        auto it = at.find(key(id));
        if (it == at.end()) {
            at.emplace(key(id), path.size());
            path.push_back(id);
            continue;
        }
        const size_t k = it->second;
        std::vector<int> loop(path.begin() + (long)k, path.end());
        loop[0] = (int)n.size();   // its own copy of the shared point (links are per loop)
        n.push_back(n[path[k]]);
        for (size_t j = k + 1; j < path.size(); j++) at.erase(key(path[j]));
        path.resize(k + 1);
        loops.push_back(std::move(loop));
    }
    loops.push_back(std::move(path));
    return loops;
}

// Ear clipping of one exterior (a linked ring) with its holes.
bool cut(std::vector<Node>& n, int outer, std::vector<int> holes, std::vector<uint32_t>* triangles, size_t* work) {
    std::sort(holes.begin(), holes.end(), [&](int a, int b) { return n[a].x > n[b].x; });
    for (int h : holes)
        if (*work > kWorkBudget || !bridge(n, outer, h, work)) return false;
    int remaining = 0;
    for (int p = outer;;) {
        remaining++;
        p = n[p].next;
        if (p == outer) break;
    }
    int node = outer, stop = outer;
    while (remaining > 3) {
        if (*work > kWorkBudget) return false;
        const int prev = n[node].prev, next = n[node].next;
        if (same(n[node], n[next]) || cross(n[prev], n[node], n[next]) == 0) {
            unlink(n, node);   // no area: drop it
            remaining--;
            node = stop = next;
            continue;
        }
        if (is_ear(n, node, work)) {
            triangles->insert(triangles->end(), {n[prev].index, n[node].index, n[next].index});
            unlink(n, node);
            remaining--;
            node = stop = next;
            continue;
        }
        node = next;
        if (node == stop) {
            // A full turn without an ear: the ring touches itself. Clip a convex vertex anyway.
            int forced = -1;
            int p = node;
            do {
                if (cross(n[n[p].prev], n[p], n[n[p].next]) > 0) { forced = p; break; }
                p = n[p].next;
            } while (p != node);
            if (forced < 0) return false;
            triangles->insert(triangles->end(), {n[n[forced].prev].index, n[forced].index, n[n[forced].next].index});
            const int nx = n[forced].next;
            unlink(n, forced);
            remaining--;
            node = stop = nx;
        }
    }
    if (remaining == 3 && cross(n[n[node].prev], n[node], n[n[node].next]) > 0)
        triangles->insert(triangles->end(), {n[n[node].prev].index, n[node].index, n[n[node].next].index});
    return true;
}

// Crossing-number test of a point against a linked ring (points on the boundary count as either).
bool inside(const std::vector<Node>& n, int ring, double x, double y, size_t* work) {
    bool in = false;
    int p = ring;
    do {
        ++*work;
        const Node &a = n[p], &b = n[a.next];
        if ((a.y > y) != (b.y > y) && x < a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)) in = !in;
        p = a.next;
    } while (p != ring);
    return in;
}

}  // namespace

bool triangulate(const std::vector<std::vector<Vec2>>& rings, std::vector<Vec2>* points,
                 std::vector<uint32_t>* triangles) {
    std::vector<Node> n;
    std::vector<int> outers, holes;   // a node of each loop (holes: their rightmost)
    size_t total = 0;
    for (const auto& r : rings) total += r.size();
    n.reserve(total + 2 * rings.size() + 16);
    for (size_t ri = 0; ri < rings.size(); ri++) {
        const auto& ring = rings[ri];
        const uint32_t base = (uint32_t)points->size();
        points->insert(points->end(), ring.begin(), ring.end());
        std::vector<int> ids;
        for (size_t k = 0; k < ring.size(); k++) {
            Node node{base + (uint32_t)k, ring[k].x, ring[k].y, -1, -1};
            if (!ids.empty() && same(n[ids.back()], node)) continue;
            ids.push_back((int)n.size());
            n.push_back(node);
        }
        while (ids.size() > 1 && same(n[ids.front()], n[ids.back()])) ids.pop_back();
        const double area = loop_area(n, ids);
        if (ids.size() < 3 || area == 0) {
            if (ri == 0) return false;
            continue;   // a degenerate hole covers nothing
        }
        // Exterior counter-clockwise, holes clockwise; then a loop of a ring that turns the other
        // way than its ring is the opposite kind (a hole pinched off an exterior, an island in a hole).
        if ((area > 0) != (ri == 0)) std::reverse(ids.begin(), ids.end());
        for (std::vector<int>& loop : simple_loops(n, ids)) {
            const double a = loop_area(n, loop);
            if (loop.size() < 3 || a == 0) continue;
            for (size_t k = 0; k < loop.size(); k++) {
                n[loop[k]].next = loop[(k + 1) % loop.size()];
                n[loop[k]].prev = loop[(k + loop.size() - 1) % loop.size()];
            }
            if (a > 0) {
                outers.push_back(loop[0]);
            } else {
                int right = loop[0];
                for (int id : loop)
                    if (n[id].x > n[right].x || (n[id].x == n[right].x && n[id].y < n[right].y)) right = id;
                holes.push_back(right);
            }
        }
    }
    if (outers.empty()) return false;
    // Each hole goes to the exterior holding most of its points.
    std::vector<std::vector<int>> holes_of(outers.size());
    size_t work = 0;
    for (int h : holes) {
        size_t best = 0;
        int best_count = -1;
        for (size_t o = 0; o < outers.size() && outers.size() > 1 && work <= kWorkBudget; o++) {
            int count = 0, p = h;
            do {
                count += inside(n, outers[o], n[p].x, n[p].y, &work);
                p = n[p].next;
            } while (p != h);
            if (count > best_count) best_count = count, best = o;
        }
        holes_of[best].push_back(h);
    }
    bool ok = true;
    for (size_t o = 0; o < outers.size(); o++) ok = cut(n, outers[o], holes_of[o], triangles, &work) && ok;
    return ok;
}

}  // namespace map
