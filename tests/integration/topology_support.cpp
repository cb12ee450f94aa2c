#include "integration/topology_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tinyxml2.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gatelink::test {
namespace {

/// How a failure message shows a file: its path and its whole text.
std::string quoted_file(const fs::path& path, const std::string& text) {
  return path.string() + " (" + std::to_string(text.size()) + " bytes):\n" + text;
}

/// `server-name@address` when the entry names a server, else `address`; empty if no address.
std::string entry_address(const tinyxml2::XMLElement& entry) {
  const char* address = entry.Attribute("address");
  if (address == nullptr) return {};
  const char* server_name = entry.Attribute("server-name");
  return server_name == nullptr ? std::string(address) : std::string(server_name) + "@" + address;
}

}  // namespace

std::optional<fs::path> find_xmllint() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / "xmllint";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

namespace {

/// xmllint --schema config/topology.xsd on `path`; empty when it passes or xmllint is missing.
std::string schema_problem(const fs::path& path, const std::string& text) {
  auto xmllint = find_xmllint();
  if (!xmllint) return {};
  const char* source = std::getenv("GATELINK_SOURCE_DIR");
  if (source == nullptr || *source == '\0') {
    return "GATELINK_SOURCE_DIR is not set: cannot find config/topology.xsd";
  }
  const fs::path schema = fs::path(source) / "config" / "topology.xsd";
  auto r = run_program({xmllint->string(), "--noout", "--schema", schema.string(), path.string()});
  if (r.exit_status == 0) return {};
  return "xmllint --schema " + schema.string() + " refuses it (exit " +
         std::to_string(r.exit_status) + "): " + r.out + "\n" + quoted_file(path, text);
}

/// Reads a <topology> element (version 1, or the issued version 2) into `file`.
std::string read_topology(const tinyxml2::XMLElement& root, const std::string& shown,
                          TopologyFile& file) {
  if (std::strcmp(root.Name(), "topology") != 0) return "root element is not <topology>: " + shown;
  const char* version = root.Attribute("version");
  const char* group = root.Attribute("management-group");
  const bool issued = version != nullptr && std::string(version) == "2";
  if (version == nullptr || (std::string(version) != "1" && !issued) || group == nullptr ||
      root.QueryUnsigned64Attribute("generation", &file.generation) != tinyxml2::XML_SUCCESS ||
      (issued && root.QueryUnsigned64Attribute("epoch", &file.epoch) != tinyxml2::XML_SUCCESS)) {
    return "version, management-group, epoch or generation missing or wrong: " + shown;
  }
  file.management_group = group;
  const tinyxml2::XMLElement* entry = root.FirstChildElement();
  if (entry == nullptr || std::strcmp(entry->Name(), "primary") != 0 ||
      (file.primary = entry_address(*entry)).empty()) {
    return "no <primary address=...> first: " + shown;
  }
  for (entry = entry->NextSiblingElement(); entry != nullptr; entry = entry->NextSiblingElement()) {
    std::string address = entry_address(*entry);
    if (std::strcmp(entry->Name(), "failover") != 0 || address.empty()) {
      return std::string("unexpected <") + entry->Name() + ">: " + shown;
    }
    file.failover.push_back(std::move(address));
  }
  return {};
}

}  // namespace

TopologyFileCheck check_topology_file(const fs::path& path) {
  TopologyFileCheck check;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    check.problem = path.string() + ": not a regular file";
    return check;
  }
  const std::string text = read_text_file(path);
  tinyxml2::XMLDocument doc;
  if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
    check.problem = std::string("not well-formed XML: ") + doc.ErrorStr() + "\n" +
                    quoted_file(path, text);
    return check;
  }
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (root == nullptr) {
    check.problem = "no root element: " + quoted_file(path, text);
    return check;
  }
  TopologyFile file;
  if (std::strcmp(root->Name(), "stored-topology") == 0) {
    // The issued document, kept byte for byte in <document>: read and checked on its own.
    const tinyxml2::XMLElement* holder = root->FirstChildElement("document");
    const char* inner = holder != nullptr ? holder->GetText() : nullptr;
    tinyxml2::XMLDocument issued;
    if (inner == nullptr || issued.Parse(inner) != tinyxml2::XML_SUCCESS ||
        issued.RootElement() == nullptr) {
      check.problem = "no well-formed issued document in <document>: " + quoted_file(path, text);
      return check;
    }
    file.signed_by = root->FirstChildElement("signature") != nullptr &&
                             root->FirstChildElement("signature")->Attribute("key") != nullptr
                         ? root->FirstChildElement("signature")->Attribute("key")
                         : "";
    check.problem = read_topology(*issued.RootElement(), quoted_file(path, text), file);
    if (check.problem.empty()) {
      const fs::path copy = path.string() + ".document-check";
      std::ofstream(copy) << inner;
      check.problem = schema_problem(copy, inner);
      fs::remove(copy, ec);
    }
  } else {
    check.problem = read_topology(*root, quoted_file(path, text), file);
  }
  if (check.problem.empty()) check.problem = schema_problem(path, text);
  if (check.problem.empty()) check.file = std::move(file);
  return check;
}

std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.find(".tmp.") != std::string::npos) found.push_back(name);
  }
  return found;
}

std::string gateway_name(std::size_t i) { return "gw" + std::to_string(i + 1) + ".example.test"; }
std::string gateway_cert(std::size_t i) { return "gw" + std::to_string(i + 1); }

std::string cli_address(const GatewayProcess& gateway) {
  return gateway.name + "@" + gateway.address;
}

ReservedPort::ReservedPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot reserve a port on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
}

ReservedPort::~ReservedPort() { ::close(fd_); }

std::string tail(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  return "[... " + std::to_string(text.size() - max_bytes) + " bytes before ...]\n" +
         text.substr(text.size() - max_bytes);
}

}  // namespace gatelink::test
