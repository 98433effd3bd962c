// Markdown (md4c) to the block structure stored in the pack, and that structure to/from JSON.
// The kiosk never parses Markdown: it draws blocks and styles spans given as byte ranges.
#include "content_internal.h"

#include <md4c.h>
#include <algorithm>
#include <nlohmann/json.hpp>

namespace content {

// [SECTION] md4c -> blocks -------------------------------------------------------------------

namespace {

struct ListState { bool ordered; int next; };

struct Builder {
    std::vector<Block>* out;
    std::vector<ListState> lists;
    std::vector<int> item_stack;                  // block index of each open list item
    std::vector<std::pair<size_t, Span>> open_spans;  // block index, span being filled
    int current = -1;                             // block receiving text
    std::string error;
};

Block& cur(Builder& b) { return (*b.out)[size_t(b.current)]; }

int enter_block(MD_BLOCKTYPE type, void* detail, void* ud) {
    Builder& b = *static_cast<Builder*>(ud);
    switch (type) {
    case MD_BLOCK_DOC: return 0;
    case MD_BLOCK_UL: b.lists.push_back({false, 0}); return 0;
    case MD_BLOCK_OL: b.lists.push_back({true, int(static_cast<MD_BLOCK_OL_DETAIL*>(detail)->start)}); return 0;
    case MD_BLOCK_LI: {
        Block blk;
        blk.kind = BlockKind::ListItem;
        blk.level = int(b.lists.size());
        if (!b.lists.empty() && b.lists.back().ordered) blk.number = b.lists.back().next++;
        b.out->push_back(std::move(blk));
        b.current = int(b.out->size()) - 1;
        b.item_stack.push_back(b.current);
        return 0;
    }
    case MD_BLOCK_P:
        if (!b.item_stack.empty()) {              // paragraph inside a list item: same block
            if (!cur(b).text.empty()) cur(b).text += '\n';
            return 0;
        }
        b.out->push_back(Block{});
        b.current = int(b.out->size()) - 1;
        return 0;
    case MD_BLOCK_H: {
        unsigned level = static_cast<MD_BLOCK_H_DETAIL*>(detail)->level;
        if (level < 3) { b.error = "only ### sub-headings are allowed inside a section"; return 1; }
        Block blk;
        blk.kind = BlockKind::Heading;
        blk.level = int(level);
        b.out->push_back(std::move(blk));
        b.current = int(b.out->size()) - 1;
        return 0;
    }
    case MD_BLOCK_HR: return 0;
    case MD_BLOCK_QUOTE: b.error = "block quotes are not supported"; return 1;
    case MD_BLOCK_CODE: b.error = "code blocks are not supported (indented text?)"; return 1;
    case MD_BLOCK_HTML: b.error = "HTML is not supported"; return 1;
    default: b.error = "tables are not supported"; return 1;
    }
}

int leave_block(MD_BLOCKTYPE type, void*, void* ud) {
    Builder& b = *static_cast<Builder*>(ud);
    if (type == MD_BLOCK_UL || type == MD_BLOCK_OL) b.lists.pop_back();
    if (type == MD_BLOCK_LI) {
        b.item_stack.pop_back();
        b.current = b.item_stack.empty() ? -1 : b.item_stack.back();
    }
    return 0;
}

int enter_span(MD_SPANTYPE type, void* detail, void* ud) {
    Builder& b = *static_cast<Builder*>(ud);
    if (b.current < 0) return 0;
    Span sp;
    switch (type) {
    case MD_SPAN_STRONG: sp.kind = SpanKind::Strong; break;
    case MD_SPAN_EM: sp.kind = SpanKind::Emphasis; break;
    case MD_SPAN_CODE: sp.kind = SpanKind::Code; break;
    case MD_SPAN_A: {
        sp.kind = SpanKind::Link;
        const MD_ATTRIBUTE& href = static_cast<MD_SPAN_A_DETAIL*>(detail)->href;
        sp.url.assign(href.text, href.size);
        break;
    }
    case MD_SPAN_IMG: b.error = "images are not supported"; return 1;
    default: return 0;
    }
    sp.begin = sp.end = uint32_t(cur(b).text.size());
    b.open_spans.emplace_back(size_t(b.current), std::move(sp));
    return 0;
}

int leave_span(MD_SPANTYPE type, void*, void* ud) {
    Builder& b = *static_cast<Builder*>(ud);
    if (type != MD_SPAN_STRONG && type != MD_SPAN_EM && type != MD_SPAN_CODE && type != MD_SPAN_A) return 0;
    if (b.open_spans.empty()) return 0;
    auto [index, sp] = std::move(b.open_spans.back());
    b.open_spans.pop_back();
    Block& blk = (*b.out)[index];
    sp.end = uint32_t(blk.text.size());
    blk.spans.push_back(std::move(sp));
    return 0;
}

int on_text(MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* ud) {
    Builder& b = *static_cast<Builder*>(ud);
    if (b.current < 0) return 0;
    std::string& t = cur(b).text;
    switch (type) {
    case MD_TEXT_SOFTBR: t += ' '; break;
    case MD_TEXT_BR: t += '\n'; break;
    case MD_TEXT_NULLCHAR: t += "\xEF\xBF\xBD"; break;
    case MD_TEXT_HTML: b.error = "HTML is not supported"; return 1;
    case MD_TEXT_ENTITY: {
        std::string_view e(text, size);
        t += e == "&amp;" ? "&" : e == "&lt;" ? "<" : e == "&gt;" ? ">" : e == "&quot;" ? "\"" : e == "&nbsp;" ? "\xC2\xA0" : std::string(e);
        break;
    }
    default: t.append(text, size);
    }
    return 0;
}

}  // namespace

bool markdown_blocks(std::string_view md, std::vector<Block>* out, std::string* error) {
    Builder b;
    b.out = out;
    MD_PARSER p{};
    p.flags = MD_FLAG_NOHTML | MD_FLAG_NOINDENTEDCODEBLOCKS;
    p.enter_block = enter_block;
    p.leave_block = leave_block;
    p.enter_span = enter_span;
    p.leave_span = leave_span;
    p.text = on_text;
    int rc = md_parse(md.data(), MD_SIZE(md.size()), &p, &b);
    if (rc != 0 || !b.error.empty()) {
        *error = b.error.empty() ? "Markdown could not be parsed" : b.error;
        return false;
    }
    // Spans close inner-first; keep them in start order for the renderer.
    for (Block& blk : *out)
        std::stable_sort(blk.spans.begin(), blk.spans.end(), [](const Span& a, const Span& c) { return a.begin < c.begin; });
    return true;
}

// [SECTION] JSON -----------------------------------------------------------------------------

using nlohmann::json;

std::string sections_to_json(const std::vector<Section>& sections) {
    json arr = json::array();
    for (const Section& s : sections) {
        json blocks = json::array();
        for (const Block& b : s.blocks) {
            json spans = json::array();
            for (const Span& sp : b.spans) spans.push_back({sp.begin, sp.end, int(sp.kind), sp.url});
            blocks.push_back({{"k", int(b.kind)}, {"l", b.level}, {"n", b.number}, {"t", b.text}, {"s", spans}});
        }
        arr.push_back({{"id", s.id}, {"h", s.heading}, {"b", blocks}});
    }
    return arr.dump();
}

bool sections_from_json(std::string_view text, std::vector<Section>* out) {
    json arr = json::parse(text.begin(), text.end(), nullptr, false);
    if (arr.is_discarded() || !arr.is_array()) return false;
    try {
        for (const json& js : arr) {
            Section s;
            s.id = js.at("id").get<std::string>();
            s.heading = js.at("h").get<std::string>();
            for (const json& jb : js.at("b")) {
                Block b;
                b.kind = BlockKind(jb.at("k").get<int>());
                b.level = jb.at("l").get<int>();
                b.number = jb.at("n").get<int>();
                b.text = jb.at("t").get<std::string>();
                for (const json& sp : jb.at("s"))
                    b.spans.push_back({sp.at(0).get<uint32_t>(), sp.at(1).get<uint32_t>(), SpanKind(sp.at(2).get<int>()), sp.at(3).get<std::string>()});
                s.blocks.push_back(std::move(b));
            }
            out->push_back(std::move(s));
        }
    } catch (const json::exception&) {                // a tampered pack: never let it escape
        return false;
    }
    return true;
}

}  // namespace content
