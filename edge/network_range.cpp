#include "edge/network_range.h"

#include <boost/asio/ip/address.hpp>

#include <type_traits>

namespace lm::edge {

Result<std::pair<std::string, std::string>> NetworkRange(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  auto bad = [&] { return InvalidArgument("lan_networks: \"" + cidr + "\" is not a network like 10.0.0.0/8", "lan_networks"); };
  if (slash == std::string::npos) return bad();
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(cidr.substr(0, slash), ec);
  const std::string bits_text = cidr.substr(slash + 1);
  if (ec || bits_text.empty() || bits_text.size() > 3 ||
      bits_text.find_first_not_of("0123456789") != std::string::npos) {
    return bad();
  }
  const int bits = std::stoi(bits_text);
  auto span = [&](auto bytes) -> Result<std::pair<std::string, std::string>> {
    const int total = static_cast<int>(bytes.size()) * 8;
    if (bits > total) return bad();
    auto first = bytes, last = bytes;
    for (int i = bits; i < total; ++i) {
      const auto mask = static_cast<unsigned char>(0x80u >> (i % 8));
      first[static_cast<size_t>(i / 8)] &= static_cast<unsigned char>(~mask);
      last[static_cast<size_t>(i / 8)] |= mask;
    }
    using Address = std::conditional_t<sizeof(bytes) == 4, boost::asio::ip::address_v4, boost::asio::ip::address_v6>;
    return std::make_pair(Address(first).to_string(), Address(last).to_string());
  };
  if (address.is_v4()) return span(address.to_v4().to_bytes());
  return span(address.to_v6().to_bytes());
}

}  // namespace lm::edge
