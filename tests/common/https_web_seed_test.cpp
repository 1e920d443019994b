// libtorrent (Debian's 2.0, built with OpenSSL) downloads from a web seed served over HTTPS by our
// server, trusting the test's own CA through SSL_CERT_FILE (libtorrent loads OpenSSL's default
// verify paths, which that variable names, and validates HTTPS web seeds and trackers by default);
// a web seed whose certificate names another host is refused. Its own program: the variable is
// set for the whole process.

#include <gtest/gtest.h>

#include <libtorrent/alert_types.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_info.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/http/file_reply.h"
#include "common/http/http_server.h"
#include "tests/testing/quiet_session.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/wait_for.h"

namespace lm::http {
namespace {

namespace fs = std::filesystem;
using lm::testing::TempDir;
using lm::testing::TestCa;
using lm::testing::WaitFor;

class HttpsWebSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::setenv("SSL_CERT_FILE", ca_.ca_file().c_str(), 1), 0);
    content_.resize(700 * 1024 + 13);
    for (std::size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<char>((i * 2654435761u) >> 13);
    fs::create_directories(dir_ / "seed");
    lm::testing::WriteFile(dir_ / "seed" / "lesson.bin", content_);
  }
  void TearDown() override { ::unsetenv("SSL_CERT_FILE"); }

  // Serves dir_/seed over HTTPS with `files`' certificate.
  std::unique_ptr<HttpServer> Serve(const lm::testing::CertFiles& files) {
    ServerOptions options;
    options.tls = TlsListenerOptions{"127.0.0.1", 0, files.cert_file, files.key_file};
    const fs::path root = dir_ / "seed";
    auto server = HttpServer::Start(
        options,
        [root](Request req, Responder respond) {
          auto file = OpenReplyFile(root / fs::path(req.path).filename());
          if (!file.ok()) return respond(JsonReply(404, "{}"));
          respond(FileReply(req, std::move(file).value()));
        },
        [](const std::string&, const std::string&) -> std::size_t { return 0; });
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::move(server).value() : nullptr;
  }

  // A torrent of lesson.bin whose only source is the web seed at `url`.
  std::shared_ptr<lt::torrent_info> Torrent(const std::string& url) {
    lt::file_storage files;
    lt::add_files(files, (dir_ / "seed" / "lesson.bin").string());
    lt::create_torrent ct(files, 64 * 1024);
    ct.add_url_seed(url);
    lt::error_code ec;
    lt::set_piece_hashes(ct, (dir_ / "seed").string(), ec);
    EXPECT_FALSE(ec) << ec.message();
    std::vector<char> bytes;
    lt::bencode(std::back_inserter(bytes), ct.generate());
    return std::make_shared<lt::torrent_info>(bytes, lt::from_span);
  }

  static lt::settings_pack Settings() {
    lt::settings_pack pack = lm::testing::QuietSessionSettings("127.0.0.1:0");
    pack.set_bool(lt::settings_pack::validate_https_trackers, true);  // the default, stated
    pack.set_int(lt::settings_pack::alert_mask,
                 lt::alert_category::error | lt::alert_category::status | lt::alert_category::connect);
    return pack;
  }

  TempDir dir_;
  TestCa ca_{dir_.path()};
  std::string content_;
};

TEST_F(HttpsWebSeedTest, LibtorrentDownloadsFromAnHttpsWebSeed) {
  auto server = Serve(ca_.Issue("origin", {"127.0.0.1"}));
  ASSERT_NE(server, nullptr);
  lt::session session{lt::session_params(Settings())};
  lt::add_torrent_params params;
  params.ti = Torrent("https://127.0.0.1:" + std::to_string(server->tls_port()) + "/bundles/lesson.bin");
  params.save_path = (dir_ / "download").string();
  lt::torrent_handle handle = session.add_torrent(params);
  ASSERT_TRUE(WaitFor([&] { return handle.status().is_seeding; }, 60))
      << "state " << handle.status().state << " bytes " << handle.status().total_wanted_done;
  EXPECT_TRUE(lm::testing::ReadFile(dir_ / "download" / "lesson.bin") == content_);
}

TEST_F(HttpsWebSeedTest, LibtorrentRefusesAWebSeedCertificateForAnotherHost) {
  auto server = Serve(ca_.Issue("elsewhere", {"other.example"}));
  ASSERT_NE(server, nullptr);
  lt::session session{lt::session_params(Settings())};
  lt::add_torrent_params params;
  params.ti = Torrent("https://127.0.0.1:" + std::to_string(server->tls_port()) + "/bundles/lesson.bin");
  params.save_path = (dir_ / "download").string();
  lt::torrent_handle handle = session.add_torrent(params);
  std::string refusal;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<lt::alert*> alerts;
        session.pop_alerts(&alerts);
        for (lt::alert* a : alerts) {
          // libtorrent reports the refusal as the web seed's connection closing.
          if (auto* gone = lt::alert_cast<lt::peer_disconnected_alert>(a)) refusal = gone->message();
        }
        return !refusal.empty();
      },
      60));
  EXPECT_NE(refusal.find("certificate verify failed"), std::string::npos) << refusal;
  EXPECT_EQ(handle.status().total_wanted_done, 0);
}

}  // namespace
}  // namespace lm::http
