// The kiosk application: options, session, screens and the automation contract. Internal to
// kiosk/app (the binary is its face); screens use ui, text, locale, content and outbox only
// through their public headers.
#pragma once

#include "content/content.h"
#include "locale/locale.h"
#include "release/release.h"
#include "update/update.h"
#include "mediator.h"
#include "platform.h"
#include "tasks.h"
#include "ui.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace map {
class TileCache;
class TileImages;
}
namespace outbox {
class Outbox;
class UploaderProcess;
}


namespace app {

// [SECTION] Options: config file first, then flags; every error names what is wrong.
struct Options {
  int width = 0, height = 0;        // --windowed WxH or --size WxH; 0 = full screen
  bool headless = false;            // --headless: offscreen driver, virtual clock
  std::string script, out_dir;      // --script FILE --out DIR
  std::string content_pack;         // --content PACK
  std::string locales_dir;          // --locales DIR (used when no pack is given)
  std::string font_dir = "/usr/share/fonts";
  std::string default_lang = "it";  // language of the attract screen
  int idle_timeout_s = 90;          // without input, then the "still there?" prompt
  int idle_grace_s = 10;            // how long the prompt waits
  float display_width_mm = 0;       // physical width when the display reports none
  std::string frame_stats;          // --frame-stats FILE: per-frame milliseconds and end time (benchmarks)
  // Mediator requests: the outbox and the hub it uploads to.
  std::string outbox_db;            // --outbox-db FILE (SQLite); empty = requests disabled
  std::string hub_url, kiosk_id, ref_prefix = "K", hub_token_file, hub_public_key, hub_ca_file, hub_pin;
  std::string uploader_program;     // --uploader: sportello-uploader (default: beside this program)
  std::string desk;                 // --desk ID: this desk's mediator days are mediator_days.ID of the pack
  std::vector<content::Weekday> mediator_days = {content::Weekday::Tu, content::Weekday::Th};  // when the pack lists none
  // Content updates: signed releases installed in a state directory by the network process.
  std::string state_dir;            // --state-dir DIR; empty = no installed releases, no updates
  release::Trust trust;             // --release-key B64 (repeatable) and --release-threshold N
  int update_interval_s = 900;      // --update-interval S: how often the hub is asked
  std::string content_mirror;       // --content-mirror URL: a plain mirror of the targets
  // Staff view: reachable only with a PIN, whose Argon2id hash (crypto_pwhash_str) is configured.
  std::string staff_pin_hash;       // --staff-pin-hash; empty = no staff view
  std::string staff_lock_file;      // --staff-lock-file: failed attempts and lockout, kept across restarts
  bool hash_pin = false;            // --hash-pin: read a PIN on stdin, print its config line, exit
  bool trace_startup = false;       // --trace-startup: a stderr line per start-up phase, in ms
  // The map screen: an MBTiles file of vector tiles, and where this kiosk stands.
  std::string map_file;             // --map FILE; empty = the schematic map only
  bool has_position = false;        // --position LAT,LON: "you are here" and distances
  double position_lat = 0, position_lon = 0;
  std::string log_target;           // --log-target auto|journal|stderr|export; "" = auto
  // The kiosk takes releases: somewhere to install them, a hub, and a key to verify them with.
  bool updates() const { return !state_dir.empty() && !hub_url.empty() && !trust.keys.empty(); }
  bool show_help = false;
};
struct ParseResult {
  bool ok = false;
  std::string error;
  Options options;
};
ParseResult parse_options(int argc, char** argv);
const char* usage();

// [SECTION] Screens
enum class Screen : uint8_t { Home, Languages, Welcome, Topics, Topic, Procedure, Search, Services, Mediator, Check, StaffPin, Staff, StaffTouch, OutOfService, Waiting, Map };
const char* screen_id(Screen s);

struct SearchState {
  std::string query, searched;    // what is typed, and what the hits were found for
  std::vector<content::SearchHit> hits;
  ui::KeyboardState keyboard;
};

// The map screen: the camera, the office whose card is open, and the gesture under way.
struct MapView {
  bool placed = false;              // the camera was set for this visit of the screen
  double cx = 0.5, cy = 0.5;        // the world point (Web Mercator in [0,1]) at the view's centre
  double zoom = 14;                 // a tile is 256 px at zoom z
  std::string selected;             // office whose card is open over the map; "" = none
  std::vector<std::string> fit;     // offices the first view shows (empty: every office)
  // Gestures, in screen pixels. Finger kPointer is the mouse or a script's single pointer.
  struct Finger { int64_t id = 0; float x = 0, y = 0; };
  std::vector<Finger> fingers;      // down on the map screen, first is the primary
  bool pan = false;                 // the primary finger went down on the map, not on a control
  bool dragging = false;            // ... and moved past the slop: it pans
  bool pinched = false;             // two fingers were down: nothing of this touch is a tap
  float press_x = 0, press_y = 0;
  std::vector<std::pair<std::pair<float, float>, uint64_t>> samples;   // (x, y), ms: flick velocity
  float vx = 0, vy = 0;             // inertia, px per ms
  uint64_t inertia_ms = 0;
  uint64_t last_tap_ms = 0;         // a second tap soon after and near it is a double tap
  float last_tap_x = 0, last_tap_y = 0;
  ui::Rect view;                    // the map's rectangle on screen in the last frame
  std::vector<ui::Rect> controls;      // buttons and the card over the map: a press there never pans
  // The last frame: tiles drawn (not the schematic), how many the view needs and how many were
  // drawn from their own mesh, and the real milliseconds from opening to the first complete frame.
  bool tiles = false;
  int tiles_visible = 0, tiles_own = 0;
  double opened_real_ms = 0, first_complete_ms = -1;
  bool moving() const { return vx != 0 || vy != 0; }
};
constexpr int64_t kPointer = -1;    // the finger id of the mouse and of a script's pointer

struct Session {                  // everything about the current visitor; wiped on idle
  std::string lang;
  std::vector<Screen> history;    // for Back
  std::string topic;              // topic the visitor is reading (preselects the mediator form)
  std::string procedure;          // procedure the visitor is reading
  std::string service_kind;       // filter of the offices list; "" = all
  bool show_italian = false;      // procedure pages show the Italian text beside the visitor's
  MediatorForm mediator;
  StatusCheck check;
  SearchState search;
  MapView map;
};

// What the screens use beyond strings and text; any may be null (e.g. no outbox configured).
struct Services {
  outbox::Outbox* outbox = nullptr;      // used only from tasks (it fsyncs)
  outbox::UploaderProcess* uploader = nullptr;   // the delivery process; null without a hub
  Tasks* tasks = nullptr;
  content::Pack* pack = nullptr;         // null: no pack given (UI strings only)
  content::Pack* pack_slot = nullptr;    // where a new release's pack is moved in (main's Pack)
  bool out_of_service = false;           // a pack was given but cannot be used
  bool waiting = false;                  // nothing to show yet: the first release is awaited
  int64_t content_version = 0;           // the release (or --content pack) running; 0 = none
  map::TileCache* map_tiles = nullptr;   // the --map file's tiles; null: the schematic map
  std::string map_state;                 // for the staff view: the file, or why there is no map (Italian)
};

// [SECTION] Content releases (updates.cpp): what the state directory holds, opened and checked.
struct OpenedRelease {
  bool ok = false;
  int64_t version = 0;
  content::Pack pack;                    // open, validated, its page cache released
  locale::Strings strings;               // its UI strings (the locales folder's where it has none)
  std::vector<std::string> log;          // what happened, for the log of the thread that asked
  std::string map_path;                  // the release's map target, "" when it has none
};

// [SECTION] Map tiles (screen_map.cpp): a tile file opened and checked, with its cache.
struct MapSource {
  std::shared_ptr<map::TileCache> cache; // null: the schematic map
  std::string path;                      // the file asked for, "" = none
  std::string state;                     // for the staff view (Italian): the file, or why there is no map
};
// Opens and checks a tile file (reads it: never on the frame). A finished tile wakes the loop.
MapSource open_map_source(const std::string& path, const std::string& origin);
// Opens the newest installed release whose pack opens and validates; one that does not is rolled
// back (update::roll_back) and the one before it tried. Nothing is opened when the release
// selected is `running` (already on screen). Reads and hashes files: never on the frame.
OpenedRelease open_installed(const std::string& state_dir, const release::Trust& trust,
                             const std::string& locales_dir, int64_t running);

// Wrong staff PINs and the lockout they earned, persisted (never the PIN) so a restart keeps them.
struct StaffLock {
  int failures = 0;                      // wrong PINs since the last right one or the last lockout
  int lockouts = 0;                      // lockouts since the last right PIN (each doubles the next)
  int64_t locked_until_unix_ms = 0;      // wall clock; 0 = not locked
};
constexpr int kStaffPinAttempts = 5;               // wrong PINs before a lockout
constexpr int64_t kStaffFirstLockoutMs = 5 * 60 * 1000;   // then 10, 20, ... minutes
constexpr int64_t kStaffMaxLockoutMs = 24 * 3600 * 1000;
constexpr uint64_t kStaffRefreshMs = 5000;         // the staff view's figures, while it is open
constexpr int kExitStaffQuit = 10;     // exit status of the staff's "Esci": the unit must not restart
bool pin_hash_valid(const std::string& hash);          // an Argon2id crypto_pwhash_str string
int hash_pin_command();                                 // sportello --hash-pin
int64_t staff_lockout_ms(int lockouts);                 // how long the n-th lockout lasts
// The file the lock lives in: --staff-lock-file, else beside the outbox database, else beside
// the state directory; "" when there is none (the lock then lasts until a restart).
std::string staff_lock_path(const Options& o);

struct StaffView {
  bool busy = false, ok = false;
  int64_t queue_depth = 0, oldest_unsent_age_s = 0, permanent_errors = 0, sent_total = 0;
  std::string last_error;
  bool refreshed = false;                // a refresh has come back at least once
  std::string network;                   // the interfaces up with an address, "" = none
  bool hub_checked = false, hub_ok = false;
  std::string hub_error;                 // why the hub did not answer (curl's words)
  std::vector<std::string> recent;       // the last warnings and errors of the log (no personal data)
  bool sync_asked = false;               // "Invia ora" was tapped since the view opened
  bool has_update = false;               // the network process reported its updater's status
  update::Status update;
};

// The staff's touch test: where fingers are or were last pressed, and which calibration targets
// (four corners and the centre) a touch has reached. Drawn only when input arrives.
struct TouchMark {
  bool used = false, down = false, fresh = false;  // fresh: moved since the last frame looked
  int64_t finger = 0;                    // SDL finger id; kPointerFinger for the mouse or a script
  float x = 0, y = 0;                    // screen pixels from the top-left
  uint64_t serial = 0;                   // order of the presses: the oldest free slot is reused
};
struct TouchTest {
  static constexpr int kMarks = 10;
  static constexpr int64_t kPointerFinger = -1;
  TouchMark marks[kMarks];
  bool targets[5] = {};                  // tl, tr, bl, br, c
  uint64_t presses = 0;
  int last = -1;                         // the mark pressed or moved last
};

class Kiosk {
public:
  Kiosk(const Options& options, text::Engine& engine, locale::Strings& strings, Services services);
  // Input, timers and drawing. frame() draws one frame into ImGui's background draw list.
  bool handle_event(const union SDL_Event& event, int w, int h);
  bool update_timers(uint64_t now_ms);          // true when the screen changed
  uint64_t next_deadline_ms(uint64_t now_ms) const;  // when update_timers next has work; ~0 = none
  void frame(int width, int height, float px_per_mm, uint64_t now_ms);
  // The colour under the frame (IM_COL32), for the window's clear: the page's background, or the
  // map's ground on the map screen (a clear costs nothing, a fill of the screen does).
  uint32_t ground() const { return ground_; }
  // The map also animates while tile images are left to render (a few a frame), never after.
  bool animating() const {
    return ui_.animating() || (screen_ == Screen::Map && (session_.map.moving() || map_images_pending()));
  }
  bool busy() const;                            // background work pending (tasks, tiles on screen)
  bool touching() const { return ui_.pointer_is_down() || !session_.map.fingers.empty(); }   // a finger is down
  // Touch by finger (the loop's SDL events and the script player): on the map screen one finger
  // pans and two pinch; elsewhere, as on the map's controls, a finger is the ui's pointer.
  // Each returns true when the screen changes. kPointer is the mouse or a script's pointer.
  bool finger_down(int64_t finger, float x, float y);
  bool finger_move(int64_t finger, float x, float y);
  bool finger_up(int64_t finger, float x, float y);
  // Waits (on the worker, real time, bounded) until the outbox has nothing left to send.
  // For scripts and provisioning checks; false when requests are still queued at the deadline.
  void drain_outbox(uint64_t timeout_ms, bool* drained);
  ui::Context& ui() { return ui_; }
  const ui::Context& ui() const { return ui_; }

  Screen screen() const { return screen_; }
  const std::string& lang() const { return session_.lang; }
  bool rtl() const;
  bool idle_prompt() const { return idle_prompt_; }
  const MapView& map_view() const { return session_.map; }
  size_t map_tile_bytes() const;    // what the map's tile cache holds (meshes and labels), 0 without tiles
  size_t map_image_bytes() const;   // what the map's tile images hold (4 bytes a pixel), 0 without

  // Content updates. content_changed() may be called from any thread (the update::Watcher's):
  // the loop wakes, the new release is opened on the worker, and it replaces what is on screen
  // only between visitors (home, waiting or out-of-service screen).
  void content_changed();
  int64_t content_running() const { return running_version_; }   // 0 = no content
  int64_t content_pending() const { return next_ ? next_->version : 0; }
  // Waits (real time, bounded) until a release >= version is pending or running. Main thread.
  bool await_content(int64_t version, uint64_t timeout_ms);

  // The map's tiles (from the running release, else --map); a release's new map comes in with it.
  void set_map(MapSource source);
  ~Kiosk();

  // The staff asked the kiosk to stop: the exit status (0 restart, kExitStaffQuit quit), or -1.
  int exit_requested() const { return exit_status_; }

private:
  std::string t(const char* key);               // UI string in the visitor's language
  std::string t_lang(const char* key);          // the language that string really is in
  // Replaces {name} placeholders of a message with plain strings (dates, times, names).
  static std::string fill(std::string message, std::initializer_list<std::pair<const char*, std::string>> args);
  std::vector<content::Weekday> desk_days() const;
  std::string content_version() const;
  void go(Screen s);
  void back();
  void home_and_forget();
  void nav_bar(float* y);
  void draw_home();
  void draw_languages();
  void draw_welcome();
  void draw_topics();
  void draw_topic();
  void draw_procedure();
  float draw_section(const content::Section& sec, const std::string& lang, const std::string& id_prefix, float x,
                     float y, float w);
  void draw_search();
  void draw_services();
  struct OfficeCard;
  const OfficeCard* office_card(const std::string& id, const content::Service* known);
  float draw_office(const std::string& id, float x, float y, float w, const content::Service* known = nullptr);
  bool shows_office_hours() const {
    return screen_ == Screen::Procedure || screen_ == Screen::Services || screen_ == Screen::Map;
  }
  std::string distance_line(const content::Service& svc);   // "2.4 km from here"; "" without --position
  // The map screen (screen_map.cpp).
  void open_map(const std::string& office, std::vector<std::string> fit);
  void draw_map();
  void load_map_offices();
  std::string map_staff_line();       // the staff view's "Mappa:" line
  void place_map(float w, float h);
  void draw_map_schematic(float x0, float y0, float w, float h);
  void draw_map_card(const content::Service& svc, float top, float bottom);
  void draw_qr(const std::string& id, const std::string& payload, float x, float y, float side);
  bool map_event(const union SDL_Event& event, int w, int h);
  void map_zoom(float sx, float sy, double factor);
  void map_pan(float dx, float dy);
  bool on_map_control(float x, float y) const;
  bool map_tiles_busy() const;        // tiles of the view still being read or decoded
  bool map_images_pending() const;    // tile images left to render for the view
  void draw_out_of_service();
  void draw_waiting();
  void staff_corner();
  void poll_content();                // starts opening a newly installed release, if flagged
  void swap_content();                // puts the pending release on screen, between visitors
  void reset_content_caches();
  void start_mediator(const std::string& topic);
  void submit_mediator();
  void draw_mediator();
  void draw_mediator_choose(float x, float y, float cw);
  void draw_mediator_details(float x, float y, float cw);
  void draw_mediator_privacy(float x, float y, float cw);
  void draw_mediator_saved(float x, float y, float cw);
  void check_status();
  void draw_check();
  void refresh_staff();
  void draw_staff();
  float draw_staff_actions(float x, float y, float w);
  float draw_staff_health(float x, float y, float cw);
  void draw_staff_recent(float x, float y, float cw);
  bool touch_event(const union SDL_Event& event, int w, int h);  // true when the touch test changed
  void touch_press(int64_t finger, float x, float y, bool down);
  void draw_touch_test();
  void draw_staff_pin();
  void submit_staff_pin();
  void load_staff_lock();
  float draw_staff_content(float x, float y, float cw);
  void draw_idle_prompt(uint64_t now_ms);

  Options options_;
  text::Engine& engine_;
  locale::Strings& strings_;
  Services services_;
  ui::Context ui_;
  Screen screen_ = Screen::Home;
  uint32_t ground_ = 0;
  Session session_;
  uint64_t session_serial_ = 0;       // bumps on every reset: late task results are dropped
  StaffView staff_;
  TouchTest touch_;
  // What the content screens show, read from the pack when the visitor navigates (not per frame).
  std::vector<content::ProcedureSummary> topic_list_;
  std::shared_ptr<content::Procedure> procedure_;
  std::shared_ptr<content::Procedure> italian_;   // the same procedure in Italian, for "show Italian too"
  std::string procedure_key_;         // id + language procedure_ was read for
  std::vector<content::Service> services_list_;
  std::vector<std::string> service_kinds_;
  std::string services_key_;          // language + kind services_list_ was read for
  // An office as its card shows it: read from the pack once per language, and its "open now"
  // line worked out once per wall-clock minute (a scrolled list of 20 offices would otherwise
  // query SQLite and ICU 20 times a frame).
  struct OfficeCard {
    content::Service svc;
    content::HoursTable hours;        // the intervals the compiler evaluated
    int64_t minute = -1;              // the wall-clock minute open_line was computed for
    int64_t next_change_ms = 0;       // wall-clock ms from which open_line, open or note may differ
    std::string open_line;
    std::string open_lang;            // the language open_line is in (a fallback may be English)
    bool open = false;
    bool known = false;               // false: outside the pack's window, or hours neither open nor closed
    std::string note;                 // the hours' comment for now ("su appuntamento"), Italian
  };
  std::map<std::string, OfficeCard> office_cards_;  // by office id, in office_cards_lang_
  std::string office_cards_lang_;
  std::vector<content::Service> map_offices_;     // every office with coordinates, in map_offices_lang_
  std::string map_offices_lang_;
  bool map_covered_ = false;          // the tile file's bounds hold the kiosk or an office
  MapSource map_;                     // owns services_.map_tiles
  std::unique_ptr<map::TileImages> map_images_;   // the tiles' images, rendered once each, uploaded as GL textures
  std::unique_ptr<MapSource> map_next_;   // a new release's map, opened, waiting for the swap
  bool map_opening_ = false;
  std::vector<std::string> extra_holidays_;       // the pack's extra public holidays, read at start (mediator desk days)
  // The wall-clock ms at which an office's hours drawn in the last frame change (it opens or
  // closes): the screen wakes then, and only then, to draw them again.
  int64_t hours_change_ms_ = INT64_MAX;
  std::vector<uint64_t> corner_taps_; // five quick taps on home's corner open the PIN screen
  std::string staff_pin_;             // digits typed on the PIN screen; wiped when it is left
  ui::KeyboardState staff_keypad_;
  StaffLock staff_lock_;
  std::string staff_lock_path_;
  std::string staff_pin_message_;     // what the PIN screen says under the field (Italian)
  bool staff_pin_checking_ = false, staff_exit_confirm_ = false;
  int64_t staff_lock_shown_min_ = 0;  // minutes of lockout the PIN screen last showed
  uint64_t staff_next_refresh_ = 0;   // the staff view refreshes its figures while it is open
  int exit_status_ = -1;
  // Content updates: the version on screen, and a release opened and waiting for the home screen.
  int64_t running_version_ = 0;
  std::unique_ptr<OpenedRelease> next_;
  std::atomic<bool> content_changed_{false};
  bool content_loading_ = false, content_reload_ = false;
  bool idle_prompt_ = false;
  uint64_t idle_prompt_since_ = 0;
};

// Lays out the attract screen's strings once so their fonts are open and shaped before the
// first frame (called on the loader thread while the GL driver starts).
void warm_up(text::Engine& engine, const locale::Strings& strings, const Options& options);

// [SECTION] Automation contract: headless script player and UI tree dump.
struct ScriptResult {
  bool ok = false;
  std::string error;                // "script.txt:7: no element with id lang.xx on screen"
  int exit_status = -1;             // the kiosk asked to stop (staff view) before the script ended
};
// Draws frames of a Kiosk into a Window: the interactive loop and the script player share it.
class Runner {
public:
  Runner(platform::Window& window, text::Engine& engine, Kiosk& kiosk);
  void draw(uint64_t now_ms);       // one frame: layout, atlas upload, present
  void settle();                    // draw until nothing moves or changes (bounded)
  void advance(uint64_t ms);        // virtual clock: timers and inertia follow, frame by frame
  bool screenshot(const std::string& path);
  Kiosk& kiosk() { return kiosk_; }
  platform::Window& window() { return window_; }
  uint64_t frames() const { return frames_; }
  struct FrameTime {
    float ms;                       // real milliseconds, layout to present
    double end_ms;                  // when it was presented: CLOCK_MONOTONIC (steady_clock) in ms
    // Where the time went: laying the screens out (map meshes written, labels shaped), the
    // glyph atlas upload, ImGui's render and the GL calls up to the swap, and the wait for
    // the driver to draw (llvmpipe rasterizes there); and how many vertices the frame had.
    float layout_ms, atlas_ms, submit_ms, gpu_ms;
    int vertices;
    float cpu_ms;                   // CPU time of all the process's threads over the frame
  };
  const std::vector<FrameTime>& frame_times() const { return frame_times_; }
  void record_frame_times(bool on) { record_frame_times_ = on; }

private:
  void upload_atlas();

  platform::Window& window_;
  text::Engine& engine_;
  Kiosk& kiosk_;
  platform::Texture atlas_;
  uint64_t atlas_generation_ = ~0ull;
  uint64_t frames_ = 0, last_frame_ms_ = 0;
  bool redraw_ = false;             // the last frame was presented with glyphs missing (atlas full)
  uint64_t missing_warned_ms_ = 0;  // when that was last logged
  std::vector<FrameTime> frame_times_;  // frames a finger or inertia caused
  bool record_frame_times_ = false;
};
ScriptResult run_script(Runner& runner, const std::string& path, const std::string& out_dir);

// [SECTION] Lockdown (lockdown.cpp): events from the system reach the kiosk only through here.
void install_stop_signals();        // main, before any thread: SIGTERM and SIGINT stop the loop cleanly
bool stop_requested();
// One SDL event to the kiosk; true when it wants frames. SDL_QUIT and shortcuts do nothing.
bool dispatch_event(Kiosk& kiosk, platform::Window& window, const union SDL_Event& event);
// The key-down and key-up events of a combination such as "ctrl+alt+f1" (scripts).
bool key_combo_events(const std::string& combo, union SDL_Event* down, union SDL_Event* up, std::string* error);
std::string dump_json(const Kiosk& kiosk, int width, int height, uint64_t frames);

}  // namespace app
