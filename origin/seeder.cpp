#include "origin/seeder.h"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <libtorrent/write_resume_data.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "common/atomic_file.h"
#include "common/logging.h"
#include "common/read_file.h"

namespace lm::origin {

namespace fs = std::filesystem;

namespace {

std::string Hex(const lt::sha1_hash& h) {
  std::ostringstream s;
  s << h;
  return s.str();
}

std::string StateName(const lt::torrent_status& st) {
  if (st.errc) return "error: " + st.errc.message();
  switch (st.state) {
    case lt::torrent_status::seeding:
    case lt::torrent_status::finished:
      return "seeding";
    case lt::torrent_status::checking_files:
    case lt::torrent_status::checking_resume_data:
      return "checking";
    default:
      return "incomplete";
  }
}

}  // namespace

struct Seeder::Impl {
  SeederOptions options;
  lt::session session;
  std::shared_ptr<spdlog::logger> log = AreaLogger("seeder");

  std::mutex mu;
  std::condition_variable saved;
  std::set<std::string> seeded;   // v1 info hashes, hex
  std::set<std::string> resumed;  // those added from resume data
  int resume_saves_pending = 0;

  std::atomic<bool> stopping{false};
  std::thread alerts;

  Impl(const SeederOptions& o, lt::settings_pack pack) : options(o), session(std::move(pack)) {}

  fs::path ResumePath(const lt::sha1_hash& v1) const { return options.resume_dir / (Hex(v1) + ".resume"); }

  void RequestResumeSave(const lt::torrent_handle& h) {
    {
      std::lock_guard lock(mu);
      ++resume_saves_pending;
    }
    h.save_resume_data();
  }

  void HandleAlerts() {
    while (!stopping.load()) {
      session.wait_for_alert(std::chrono::milliseconds(250));
      std::vector<lt::alert*> batch;
      session.pop_alerts(&batch);
      for (lt::alert* a : batch) {
        if (auto* r = lt::alert_cast<lt::save_resume_data_alert>(a)) {
          const std::vector<char> buf = lt::write_resume_data_buf(r->params);
          const Status st = WriteFileAtomically(ResumePath(r->params.info_hashes.v1),
                                                std::string_view(buf.data(), buf.size()));
          if (!st.ok()) log->warn("resume_save_failed error=\"{}\"", st.message());
          ResumeSaveDone();
        } else if (lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
          ResumeSaveDone();
        } else if (auto* e = lt::alert_cast<lt::torrent_error_alert>(a)) {
          log->warn("torrent_error {}", e->message());
        } else if (auto* f = lt::alert_cast<lt::file_error_alert>(a)) {
          log->warn("file_error {}", f->message());
        } else if (auto* l = lt::alert_cast<lt::listen_failed_alert>(a)) {
          log->warn("listen_failed {}", l->message());
        }
      }
    }
  }

  void ResumeSaveDone() {
    std::lock_guard lock(mu);
    --resume_saves_pending;
    saved.notify_all();
  }
};

std::string ListenInterfacesFor(const std::string& address, std::uint16_t port) {
  const std::string p = std::to_string(port);
  if (address == "::") return "0.0.0.0:" + p + ",[::]:" + p;
  return address.find(':') != std::string::npos ? "[" + address + "]:" + p : address + ":" + p;
}

Result<std::unique_ptr<Seeder>> Seeder::Start(const SeederOptions& options) {
  std::error_code ec;
  fs::create_directories(options.resume_dir, ec);
  if (ec) return IoError("create " + options.resume_dir.string() + ": " + ec.message());

  lt::settings_pack pack;
  pack.set_str(lt::settings_pack::listen_interfaces, options.listen_interfaces);
  pack.set_str(lt::settings_pack::user_agent, "LessonMesh-origin/" LIBTORRENT_VERSION);
  pack.set_bool(lt::settings_pack::enable_dht, options.dht);
  pack.set_bool(lt::settings_pack::enable_lsd, options.lsd);
  pack.set_bool(lt::settings_pack::enable_upnp, false);
  pack.set_bool(lt::settings_pack::enable_natpmp, false);
  pack.set_bool(lt::settings_pack::enable_incoming_utp, true);
  pack.set_bool(lt::settings_pack::enable_outgoing_utp, true);
  pack.set_bool(lt::settings_pack::enable_incoming_tcp, true);
  pack.set_bool(lt::settings_pack::enable_outgoing_tcp, true);
  // A county's schools often reach the origin through one NAT address.
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  pack.set_int(lt::settings_pack::upload_rate_limit, options.upload_rate_limit_bytes);
  pack.set_int(lt::settings_pack::connections_limit, options.max_connections);
  if (options.super_seeding == SuperSeeding::kStrict) {
#if TORRENT_ABI_VERSION == 1
    // Deprecated in libtorrent 2.0 but still honoured by builds with the version 1 ABI, Debian's
    // among them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pack.set_bool(lt::settings_pack::strict_super_seeding, true);
#pragma GCC diagnostic pop
#else
    return InvalidArgument("super_seeding = \"strict\" needs a libtorrent built with its version 1 ABI", "super_seeding");
#endif
  }
  pack.set_int(lt::settings_pack::alert_mask,
               lt::alert_category::error | lt::alert_category::status | lt::alert_category::storage);
  auto impl = std::make_unique<Impl>(options, std::move(pack));
  // The rate limit holds for every peer. libtorrent leaves private, link-local and loopback
  // addresses (its local peer class) unlimited, and a county's network is often private (10/8):
  // the cap would not have held for any school there.
  lt::ip_filter classes;
  const auto global = 1u << static_cast<std::uint32_t>(lt::session::global_peer_class_id);
  classes.add_rule(lt::make_address("0.0.0.0"), lt::make_address("255.255.255.255"), global);
  classes.add_rule(lt::make_address("::"), lt::make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global);
  impl->session.set_peer_class_filter(classes);
  Impl* raw = impl.get();
  impl->alerts = std::thread([raw] { raw->HandleAlerts(); });
  return std::unique_ptr<Seeder>(new Seeder(std::move(impl)));
}

Seeder::Seeder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Seeder::~Seeder() {
  impl_->session.pause();
  for (const lt::torrent_handle& h : impl_->session.get_torrents()) {
    if (h.is_valid()) impl_->RequestResumeSave(h);
  }
  {
    std::unique_lock lock(impl_->mu);
    impl_->saved.wait_for(lock, std::chrono::seconds(5), [&] { return impl_->resume_saves_pending <= 0; });
  }
  impl_->stopping = true;
  impl_->alerts.join();
}

Status Seeder::Add(const fs::path& bundle_dir, const std::string& torrent_file) {
  const fs::path torrent_path = bundle_dir / torrent_file;
  lt::error_code ec;
  auto ti = std::make_shared<lt::torrent_info>(torrent_path.string(), ec);
  if (ec) return IoError("cannot read " + torrent_path.string() + ": " + ec.message());
  const lt::sha1_hash v1 = ti->info_hashes().v1;
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->seeded.insert(Hex(v1)).second) return Status::Ok();
  }

  lt::add_torrent_params params;
  bool resumed = false;
  if (auto resume = ReadFileBytes(impl_->ResumePath(v1)); resume.ok()) {
    lt::error_code rec;
    lt::add_torrent_params loaded =
        lt::read_resume_data(lt::span<const char>(resume->data(), static_cast<long>(resume->size())), rec);
    if (!rec && loaded.info_hashes.v1 == v1) {
      params = std::move(loaded);
      resumed = true;
    }
  }
  params.ti = ti;
  params.save_path = bundle_dir.parent_path().string();
  params.flags &= ~lt::torrent_flags::auto_managed;  // every bundle seeds; none waits in a queue
  params.flags &= ~lt::torrent_flags::paused;
  // Fresh from the transcoder, whose hashes are the torrent's: no need to read the files back.
  if (!resumed) params.flags |= lt::torrent_flags::seed_mode;
  // As configured now, whatever the resume data kept from an earlier start.
  if (impl_->options.super_seeding != SuperSeeding::kOff) {
    params.flags |= lt::torrent_flags::super_seeding;
  } else {
    params.flags &= ~lt::torrent_flags::super_seeding;
  }
  lt::torrent_handle h = impl_->session.add_torrent(std::move(params), ec);
  if (ec) {
    std::lock_guard lock(impl_->mu);
    impl_->seeded.erase(Hex(v1));
    return IoError("cannot seed " + bundle_dir.string() + ": " + ec.message());
  }
  if (!resumed) impl_->RequestResumeSave(h);
  if (resumed) {
    std::lock_guard lock(impl_->mu);
    impl_->resumed.insert(Hex(v1));
  }
  impl_->log->info("seeding lesson={} info_hash={} resumed={}", ti->name(), Hex(v1), resumed);
  return Status::Ok();
}

std::uint16_t Seeder::listen_port() const { return impl_->session.listen_port(); }

std::vector<SeededTorrent> Seeder::Torrents() const {
  std::vector<SeededTorrent> out;
  for (const lt::torrent_handle& h : impl_->session.get_torrents()) {
    const lt::torrent_status st = h.status();
    SeededTorrent t;
    t.lesson_id = st.name;
    t.info_hash_v1 = Hex(st.info_hashes.v1);
    t.state = StateName(st);
    t.uploaded_bytes = st.all_time_upload;
    t.peers = st.num_peers;
    {
      std::lock_guard lock(impl_->mu);
      t.from_resume_data = impl_->resumed.count(t.info_hash_v1) > 0;
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace lm::origin
