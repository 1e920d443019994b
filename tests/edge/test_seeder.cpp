#include "tests/edge/test_seeder.h"

#include <gtest/gtest.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <vector>

#include "tests/testing/quiet_session.h"

namespace lm::testing {

TestSeeder::TestSeeder(const std::filesystem::path& torrent, const std::filesystem::path& save_path,
                       const std::string& address) {
  const bool v6 = address.find(':') != std::string::npos;
  lt::settings_pack pack = QuietSessionSettings((v6 ? "[" + address + "]" : address) + ":0");
  pack.set_str(lt::settings_pack::outgoing_interfaces, address);
  pack.set_bool(lt::settings_pack::enable_outgoing_utp, false);
  pack.set_bool(lt::settings_pack::enable_incoming_utp, false);
  pack.set_int(lt::settings_pack::alert_mask, lt::alert_category::upload);
  session_ = std::make_unique<lt::session>(std::move(pack));
  lt::add_torrent_params p;
  lt::error_code ec;
  p.ti = std::make_shared<lt::torrent_info>(torrent.string(), ec);
  EXPECT_FALSE(ec) << ec.message();
  p.save_path = save_path.string();
  p.trackers.clear();
  p.url_seeds.clear();
  handle_ = session_->add_torrent(std::move(p), ec);
  EXPECT_FALSE(ec) << ec.message();
}

bool TestSeeder::Seeding() const { return handle_.status().is_seeding; }

void TestSeeder::ConnectTo(std::uint16_t port, const std::string& address) {
  handle_.connect_peer(lt::tcp::endpoint(lt::make_address(address), port));
}

std::int64_t TestSeeder::UploadedBytes() const { return handle_.status().total_payload_upload; }

std::set<std::string> TestSeeder::UploadedTo() {
  std::vector<lt::alert*> alerts;
  session_->pop_alerts(&alerts);
  for (lt::alert* a : alerts) {
    if (auto* b = lt::alert_cast<lt::block_uploaded_alert>(a)) {
      const lt::address address = b->endpoint.address();
      const std::string text = address.to_string();
      uploaded_to_.insert((address.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(b->endpoint.port()));
    }
  }
  return uploaded_to_;
}

}  // namespace lm::testing
