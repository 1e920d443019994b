#pragma once
// The settings of a libtorrent session that a test runs beside ours: it finds its peers only where
// the test points it, so no DHT, local service discovery, UPnP or NAT-PMP reaches past the test.

#include <libtorrent/settings_pack.hpp>

#include <string>

namespace lm::testing {

inline libtorrent::settings_pack QuietSessionSettings(const std::string& listen_interfaces) {
  namespace lt = libtorrent;
  lt::settings_pack pack;
  pack.set_str(lt::settings_pack::listen_interfaces, listen_interfaces);
  pack.set_bool(lt::settings_pack::enable_dht, false);
  pack.set_bool(lt::settings_pack::enable_lsd, false);
  pack.set_bool(lt::settings_pack::enable_upnp, false);
  pack.set_bool(lt::settings_pack::enable_natpmp, false);
  return pack;
}

}  // namespace lm::testing
