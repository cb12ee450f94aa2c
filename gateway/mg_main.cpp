// gatelink-mg: the management group's side of topology, the counterpart of SCOM's
// Set-SCOMParentManagementServer. Writes an agent's primary and failover gateways to the store
// that gateways deliver from (gateway/topology_registry.hpp), and shows what is stored.
//   gatelink-mg --store DIR init --management-group MG [--signing-key FILE] [--epoch N]
//   gatelink-mg --store DIR set-parent --agent NAME --primary ADDR [--failover ADDR[,ADDR...]]
//               [--management-group MG]
//   gatelink-mg --store DIR get-parent --agent NAME [--json]
//   gatelink-mg --store DIR new-epoch [--signing-key FILE] [--epoch N]
//   gatelink-mg keygen --out FILE [--force]
//   gatelink-mg ticket-keys --file FILE [--rotate]
// Exit status: 0 done (or found), 1 refused, not found or failed; the store is then unchanged.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "signature/signing_key.hpp"
#include "status/status_time.hpp"
#include "store/durable_file.hpp"
#include "tls/ticket_keys.hpp"
#include "topology_registry.hpp"
#include "xml/strict_xml.hpp"

namespace {

using gatelink::gateway::RegistryEntry;
using gatelink::gateway::TopologyRegistry;
using Json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

int fail(const std::string& message) {
  std::cerr << "gatelink-mg: " << message << '\n';
  return kExitFailed;
}

struct SetParentOptions {
  std::string agent;
  std::string primary;
  std::vector<std::string> failover;  ///< each --failover as given: a comma list
  std::optional<std::string> management_group;
};

/// The addresses of one --failover value, in order. "gw2,,gw3" is a typing error, never a list
/// of two: an empty entry is refused, so nothing is silently left out.
gatelink::Result<std::vector<gatelink::GatewayAddress>> parse_failover_list(
    const std::string& list) {
  std::vector<gatelink::GatewayAddress> addresses;
  std::size_t start = 0;
  for (std::size_t position = 1;; ++position) {
    const auto end = list.find(',', start);
    const auto text = list.substr(start, end == std::string::npos ? end : end - start);
    const auto quoted = "--failover \"" + gatelink::xml::echo(list) + "\"";
    if (text.empty()) {
      return gatelink::Error{quoted + ": address " + std::to_string(position) +
                             " is empty (two commas in a row, or a comma at an end)"};
    }
    auto address = gatelink::parse_gateway_address(text);
    if (!address) {
      return gatelink::Error{quoted + ": address " + std::to_string(position) + " \"" +
                             gatelink::xml::echo(text) + "\": " + address.error().message};
    }
    addresses.push_back(std::move(*address));
    if (end == std::string::npos) return addresses;
    start = end + 1;
  }
}

/// Who signed the entry, as people read it.
std::string signed_by_text(const RegistryEntry& entry) {
  if (entry.legacy()) return "none: written by an older gatelink-mg, not delivered (new-epoch)";
  return entry.stored.key.empty() ? "unsigned" : entry.stored.key;
}

/// One stored entry as people read it: the same block for set-parent and get-parent.
void print_text(const RegistryEntry& entry, const std::string& file) {
  const auto& topology = entry.issued.topology;
  std::cout << "agent             " << entry.issued.agent << '\n'
            << "management-group  " << topology.management_group << '\n'
            << "epoch             " << topology.epoch << '\n'
            << "generation        " << topology.generation << '\n'
            << "primary           " << topology.primary.to_string() << '\n';
  for (std::size_t i = 0; i < topology.failover.size(); ++i) {
    std::cout << "failover " << i + 1 << std::string(i + 1 < 10 ? 8 : 7, ' ')
              << topology.failover[i].to_string() << '\n';
  }
  std::cout << "issued-at         " << gatelink::format_utc_time(entry.issued.issued_at) << '\n'
            << "signed-by         " << signed_by_text(entry) << '\n'
            << "file              " << file << '\n';
}

void print_json(const RegistryEntry& entry, const std::string& file) {
  const auto& topology = entry.issued.topology;
  Json failover = Json::array();
  for (const auto& address : topology.failover) failover.push_back(address.to_string());
  const Json document = {
      {"agent", entry.issued.agent},
      {"management_group", topology.management_group},
      {"epoch", topology.epoch},
      {"generation", topology.generation},
      {"primary", topology.primary.to_string()},
      {"failover", failover},
      {"issued_at", gatelink::format_utc_time(entry.issued.issued_at)},
      // null: unsigned (or legacy, which holds no document to sign)
      {"signed_by", entry.stored.key.empty() ? Json(nullptr) : Json(entry.stored.key)},
      {"legacy", entry.legacy()},
      {"file", file}};
  std::cout << document.dump(2) << '\n';
}

int set_parent(TopologyRegistry& registry, const SetParentOptions& options) {
  gatelink::gateway::SetParentRequest request{.agent = options.agent,
                                              .management_group = options.management_group};
  auto primary = gatelink::parse_gateway_address(options.primary);
  if (!primary) return fail("--primary \"" + options.primary + "\": " + primary.error().message);
  request.primary = std::move(*primary);
  for (const auto& list : options.failover) {
    auto addresses = parse_failover_list(list);
    if (!addresses) return fail(addresses.error().message);
    request.failover.insert(request.failover.end(), addresses->begin(), addresses->end());
  }
  auto written = registry.set_parent(request, std::chrono::system_clock::now());
  if (!written) return fail(written.error().message);
  const auto& topology = written->issued.topology;
  std::cout << "wrote epoch " << topology.epoch << " generation " << topology.generation
            << " for agent " << options.agent << "; gateways deliver it to the agent\n";
  print_text(*written, registry.path_of(options.agent));
  return kExitOk;
}

/// --signing-key and --epoch of init and new-epoch.
struct EpochOptions {
  std::optional<std::string> signing_key;
  std::optional<std::uint64_t> epoch;

  /// The key's path as store.xml keeps it: absolute, so every later command finds it.
  std::optional<std::string> signing_key_path() const {
    if (!signing_key) return std::nullopt;
    return std::filesystem::absolute(*signing_key).lexically_normal().string();
  }
};

std::string key_text(const std::optional<std::string>& path) {
  return path ? *path : std::string("none (documents are issued unsigned)");
}

int init(TopologyRegistry& registry, const std::string& management_group,
         const EpochOptions& options) {
  auto written = registry.init({.management_group = management_group,
                                .epoch = options.epoch.value_or(
                                    gatelink::gateway::epoch_at(std::chrono::system_clock::now())),
                                .signing_key = options.signing_key_path()});
  if (!written) return fail(written.error().message);
  std::cout << "store " << registry.dir() << " is management group " << written->management_group
            << "'s; set-parent takes the group from it\n"
            << "epoch        " << written->epoch << '\n'
            << "signing-key  " << key_text(written->signing_key) << '\n';
  return kExitOk;
}

int new_epoch(TopologyRegistry& registry, const EpochOptions& options) {
  auto done =
      registry.new_epoch({.epoch = options.epoch, .signing_key = options.signing_key_path()},
                         std::chrono::system_clock::now());
  if (!done) return fail(done.error().message);
  std::cout << "store " << registry.dir() << " began epoch " << done->settings.epoch
            << "; every agent's entry is issued again in it, and gateways deliver them\n"
            << "epoch        " << done->settings.epoch << '\n'
            << "signing-key  " << key_text(done->settings.signing_key) << '\n'
            << "signed-by    " << (done->signed_by.empty() ? "unsigned" : done->signed_by) << '\n'
            << "re-issued    " << done->agents.size() << " agent(s)\n";
  return kExitOk;
}

int get_parent(const TopologyRegistry& registry, const std::string& agent, bool as_json) {
  if (auto missing = registry.check_folder()) return fail(missing->message);
  auto stored = registry.get(agent);
  if (!stored) return fail(stored.error().message);
  if (!*stored) return fail("no topology stored for agent " + agent + " (none)");
  if (as_json) {
    print_json(**stored, registry.path_of(agent));
  } else {
    print_text(**stored, registry.path_of(agent));
  }
  return kExitOk;
}

struct KeygenOptions {
  std::string out;
  bool force = false;
};

/// Writes a new management-group key pair: OUT (private, 0600) and its public half (0644), named
/// OUT with .pub for .key (mg.key, mg.pub), else OUT.pub.
int keygen(const KeygenOptions& options) {
  namespace fs = std::filesystem;
  const fs::path private_path = fs::absolute(options.out);
  const fs::path public_path = private_path.extension() == ".key"
                                   ? fs::path(private_path).replace_extension(".pub")
                                   : fs::path(private_path).concat(".pub");
  for (const auto& path : {private_path, public_path}) {
    std::error_code ec;
    if (!options.force && fs::exists(fs::symlink_status(path, ec))) {
      return fail(path.string() + " exists; refusing to replace a key (--force replaces it)");
    }
  }
  auto key = gatelink::signature::SigningKey::generate();
  if (!key) return fail(key.error().message);
  const std::string dir = private_path.parent_path().string();
  // The public key first: a failure then leaves no private key without its public half.
  if (auto written = gatelink::write_file_atomically(dir, public_path.filename().string(),
                                                     key->public_key().pem(), 0644);
      !written) {
    return fail(written.error().message);
  }
  if (auto written =
          gatelink::write_file_atomically(dir, private_path.filename().string(), key->pem());
      !written) {
    return fail(written.error().message);
  }
  std::cout << "signing key   " << private_path.string()
            << "  (the management group's alone: never on a gateway or an agent)\n"
            << "public key    " << public_path.string() << '\n'
            << "fingerprint   " << key->public_key().fingerprint() << '\n'
            << "Pin it in each agent's configuration:\n"
            << "  <management-group-keys><key file=\"/etc/gatelink/"
            << public_path.filename().string() << "\"/></management-group-keys>\n"
            << "Then sign with it: gatelink-mg --store DIR init --management-group MG "
            << "--signing-key " << private_path.string() << "\n"
            << "  (a store that has store.xml: gatelink-mg --store DIR new-epoch --signing-key "
            << private_path.string() << ")\n";
  return kExitOk;
}

struct TicketKeyOptions {
  std::string file;
  bool rotate = false;
};

/// Writes the management group's session ticket keys (tls/ticket_keys.hpp): a new file of one
/// key, or with --rotate a new key first and the ones before it kept (kRotatedTicketKeys in
/// all), so tickets still in agents' hands keep resuming. Gateways re-read the file.
int ticket_keys(const TicketKeyOptions& options) {
  namespace fs = std::filesystem;
  namespace tls = gatelink::tls;
  const fs::path path = fs::absolute(options.file);
  std::vector<tls::TicketKey> keys;
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(path, ec));
  if (exists && !options.rotate) {
    return fail(path.string() +
                " exists; refusing to replace ticket keys (--rotate adds a key "
                "and keeps the ones before it)");
  }
  if (exists) {
    auto old = tls::read_ticket_keys(path.string());
    if (!old) return fail(old.error().message);
    keys = std::move(*old);
    keys.resize(std::min(keys.size(), tls::kRotatedTicketKeys - 1));
  }
  auto key = tls::generate_ticket_key();
  if (!key) return fail(key.error().message);
  keys.insert(keys.begin(), *key);
  if (auto written = gatelink::write_file_atomically(
          path.parent_path().string(), path.filename().string(), tls::format_ticket_keys(keys));
      !written) {
    return fail(written.error().message);
  }
  std::cout << "ticket keys   " << path.string() << "  (" << keys.size()
            << (keys.size() == 1 ? " key" : " keys: the new one issues, the others still open")
            << ")\n"
            << "Copy it (0600) to every gateway of the management group: gatelink-gateway "
               "--ticket-keys FILE\n"
            << "Rotate at most every "
            << std::chrono::hours(tls::kTicketLifetime).count() / (tls::kRotatedTicketKeys - 1)
            << " h (tickets live " << std::chrono::hours(tls::kTicketLifetime).count()
            << " h): gatelink-mg ticket-keys --rotate --file " << path.string() << '\n';
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{
        "The management group's side of topology: writes each agent's primary and "
        "failover gateways to the store that gateways deliver from.",
        "gatelink-mg"};
    app.set_version_flag("--version", std::string("gatelink-mg ") + GATELINK_VERSION);
    std::string store;
    app.add_option(
        "--store", store,
        "the store folder (gatelink-gateway --store); all but keygen and ticket-keys need it");
    app.require_subcommand(1);
    app.footer(
        "Exit status: 0 done or found, 1 refused, not found, failed or a usage error (store\n"
        "unchanged). All programs: docs/OPERATIONS.md, \"Exit codes\".");

    SetParentOptions set;
    auto* set_command = app.add_subcommand(
        "set-parent", "write the agent's next topology generation (one atomic step)");
    set_command->add_option("--agent", set.agent, "the agent's name (as in its certificate)")
        ->required();
    set_command
        ->add_option("--primary", set.primary,
                     "primary gateway: host:port or server-name@host:port (port 5723 by default)")
        ->required();
    set_command->add_option("--failover", set.failover,
                            "failover gateways in order; a comma list, and may be repeated");
    set_command->add_option("--management-group", set.management_group,
                            "the agent's management group: taken from the store when it was "
                            "initialised (init), else needed for the agent's first topology");

    std::string init_group;
    EpochOptions init_options;
    auto* init_command = app.add_subcommand(
        "init", "name the store's management group, epoch and signing key, for every set-parent");
    init_command->add_option("--management-group", init_group, "the management group")->required();
    const auto add_epoch_options = [](CLI::App* command, EpochOptions& options,
                                      const std::string& epoch_help) {
      command->add_option("--signing-key", options.signing_key,
                          "the management group's private key (gatelink-mg keygen), 0600: every "
                          "document is signed with it; kept in store.xml as an absolute path");
      command->add_option("--epoch", options.epoch, epoch_help);
    };
    add_epoch_options(init_command, init_options,
                      "the store's first epoch (default: the Unix time now, in seconds)");

    EpochOptions epoch_options;
    auto* epoch_command = app.add_subcommand(
        "new-epoch",
        "begin a new epoch and issue every agent's entry again in it (key rotation, a store "
        "restored from backup)");
    add_epoch_options(epoch_command, epoch_options,
                      "the new epoch, greater than the store's (default: the Unix time now in "
                      "seconds, or the store's + 1 when that is greater)");

    std::string get_agent;
    bool as_json = false;
    auto* get_command = app.add_subcommand("get-parent", "show the agent's stored topology");
    get_command->add_option("--agent", get_agent, "the agent's name")->required();
    get_command->add_flag("--json", as_json, "print it as one JSON object");

    KeygenOptions key_options;
    auto* keygen_command = app.add_subcommand(
        "keygen", "make the management group's Ed25519 key pair that signs topologies");
    keygen_command
        ->add_option("--out", key_options.out,
                     "the private key file to write (0600); the public key goes beside it: "
                     "mg.key gives mg.pub, any other name NAME.pub")
        ->required();
    keygen_command->add_flag("--force", key_options.force, "replace existing key files");

    TicketKeyOptions ticket_options;
    auto* ticket_command = app.add_subcommand(
        "ticket-keys",
        "make or rotate the session ticket keys the management group's gateways share");
    ticket_command->add_option("--file", ticket_options.file, "the ticket key file (0600)")
        ->required();
    ticket_command->add_flag("--rotate", ticket_options.rotate,
                             "add a new key first and keep the ones before it");

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
      return fail(std::string(e.what()) + " (see --help)");
    }

    if (keygen_command->parsed()) return keygen(key_options);
    if (ticket_command->parsed()) return ticket_keys(ticket_options);
    if (store.empty()) return fail("--store DIR is required for this command (see --help)");
    TopologyRegistry registry(store);
    if (init_command->parsed()) return init(registry, init_group, init_options);
    if (epoch_command->parsed()) return new_epoch(registry, epoch_options);
    if (set_command->parsed()) return set_parent(registry, set);
    return get_parent(registry, get_agent, as_json);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what());
  }
}
