// Drawing laid-out text through Dear ImGui: glyph quads into an ImDrawList, textured from the
// engine's atlas. The only part of kiosk/text that knows ImGui.
#pragma once

#include "text.h"
#include <imgui.h>

namespace text {

// Draws a layout with its top-left corner at top_left, each line aligned in a box of box_width
// (Start = left for LTR, right for RTL). atlas is the texture the platform made from
// Engine::atlas(); glyph quads are tinted with color.
void draw_layout(ImDrawList* draw_list, Engine& engine, ImTextureID atlas, const Layout& layout,
                 ImVec2 top_left, float box_width, Align align, ImU32 color);

// The layout with a halo around each glyph (Engine::haloed_glyph), one quad a glyph: the halo in
// a contrasting colour keeps text legible over a busy background such as the map's. The quads'
// texels hold two coverages: they need a program that takes them apart (platform::halo_text,
// which also gives the halo's colour), set with a draw list callback before these quads.
void draw_layout_haloed(ImDrawList* draw_list, Engine& engine, ImTextureID atlas, const Layout& layout,
                        ImVec2 top_left, float box_width, Align align, ImU32 color);

}  // namespace text
