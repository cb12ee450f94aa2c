#pragma once
// Test rig for the failover machine: virtual time from t0, scripted draws, readable actions and a
// model of the I/O layer that checks there is never a moment without a session.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "failover/failover_machine.hpp"

namespace gatelink::failover {

// gtest prints std::variant through these (found by ADL), so a failed comparison reads well.
inline void PrintTo(const Connect& a, std::ostream* os) {
  *os << "Connect{" << a.session << ", gw" << a.gateway << ", " << to_string(a.purpose) << "}";
}
inline void PrintTo(const Close& a, std::ostream* os) {
  *os << "Close{" << a.session << ", " << a.reason << "}";
}
inline void PrintTo(const Promote& a, std::ostream* os) { *os << "Promote{" << a.session << "}"; }
inline void PrintTo(const Schedule& a, std::ostream* os) {
  *os << "Schedule{" << std::chrono::duration_cast<Duration>(a.at.time_since_epoch()).count()
      << "ms}";
}
inline void PrintTo(const Report& a, std::ostream* os) {
  *os << "Report{" << to_string(a.kind) << ", from " << (a.from ? std::to_string(*a.from) : "-")
      << ", to " << (a.to ? std::to_string(*a.to) : "-") << ", " << a.reason;
  if (a.version) *os << ", " << gatelink::to_string(*a.version);
  *os << "}";
}
inline void PrintTo(const Persist& a, std::ostream* os) {
  *os << "Persist{" << gatelink::to_string(version_of(a.topology)) << ", primary "
      << a.topology.primary.to_string() << ", from " << a.received_from.to_string() << "}";
}
inline void PrintTo(const Acknowledge& a, std::ostream* os) {
  *os << "Acknowledge{" << a.session << ", " << gatelink::to_string(a.version) << ", "
      << to_string(a.outcome) << ", \"" << a.message << "\"}";
}

namespace testing_support {

using namespace std::chrono_literals;
using Actions = std::vector<Action>;

/// Virtual time zero; tests speak of `t0 + 1500ms`.
inline const TimePoint t0 = TimePoint{} + std::chrono::hours(1000);

/// The management group every test topology belongs to.
inline constexpr const char* kGroup = "TEST";

/// Gateway `name` (e.g. "gw3") as `name.test:5723`.
inline GatewayAddress gateway(const std::string& name) {
  return GatewayAddress{.host = name + ".test"};
}

/// A topology of the named gateways, the first the primary.
inline Topology topology_of(std::uint64_t generation, const std::vector<std::string>& names) {
  Topology t{.generation = generation, .management_group = kGroup};
  for (const std::string& name : names) {
    if (t.primary.host.empty()) {
      t.primary = gateway(name);
    } else {
      t.failover.push_back(gateway(name));
    }
  }
  return t;
}

/// The bootstrap topology gw0 (primary), gw1 ... gw<n-1>.
inline Topology numbered_topology(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back("gw" + std::to_string(i));
  return topology_of(0, names);
}

/// The timings these tests are written for: probes every 30 s, a stable window of two probe
/// intervals, stay-aways of up to a day; the rest as the defaults.
inline Settings test_settings() {
  Settings s;
  s.probe_interval = std::chrono::seconds(30);
  s.stable_probes = 2;
  s.max_stay_away = std::chrono::hours(24);
  s.flap_window = std::chrono::minutes(5);
  s.max_stable_window = std::chrono::minutes(8);
  return s;
}

/// A machine with a scripted random source: every draw must be scripted, or the test fails.
struct Rig {
  explicit Rig(std::size_t gateways, Settings s = test_settings(), std::deque<double> script = {})
      : Rig(numbered_topology(gateways), s, std::move(script)) {}
  explicit Rig(Topology topology, Settings s = test_settings(), std::deque<double> script = {})
      : settings(s),
        draws(std::make_shared<std::deque<double>>(std::move(script))),
        machine(s, std::move(topology), [d = draws]() {
          if (d->empty()) {
            ADD_FAILURE() << "the machine drew a random number the test did not script";
            return 0.0;
          }
          const double v = d->front();
          d->pop_front();
          return v;
        }) {}

  /// Scripts the next draws.
  void script(std::initializer_list<double> values) {
    draws->insert(draws->end(), values.begin(), values.end());
  }

  Actions at(Duration t, const Event& event) { return machine.handle(event, t0 + t); }

  /// Start and welcome on the primary at `t`; returns the session.
  SessionId connected_on_primary(Duration t = 0ms) {
    const SessionId s = opened(at(t, Start{}));
    at(t, Connected{s});
    return s;
  }

  /// The session of the one Connect in `out` (0 and a failure when there is none).
  static SessionId opened(const Actions& out) {
    for (const Action& a : out) {
      if (const auto* c = std::get_if<Connect>(&a)) return c->session;
    }
    ADD_FAILURE() << "expected a Connect among " << ::testing::PrintToString(out);
    return 0;
  }

  Settings settings;
  std::shared_ptr<std::deque<double>> draws;
  Machine machine;
};

/// What the I/O layer would hold after carrying the actions out: open sessions and which one
/// carries the traffic. Once traffic has a session, it must never be without one.
struct IoModel {
  void apply(const Actions& out) {
    for (const Action& a : out) {
      if (const auto* c = std::get_if<Connect>(&a)) {
        open.insert(c->session);
        if (c->purpose == Purpose::active) traffic = c->session;
      } else if (const auto* p = std::get_if<Promote>(&a)) {
        EXPECT_TRUE(open.contains(p->session)) << "promoted a session that is not open";
        traffic = p->session;
      } else if (const auto* x = std::get_if<Close>(&a)) {
        open.erase(x->session);
        if (traffic == x->session) traffic = 0;
      }
      if (guard_traffic) {
        EXPECT_TRUE(open.contains(traffic))
            << "no session carries traffic after " << ::testing::PrintToString(a);
      }
    }
  }
  /// A session closed by the gateway (the event, not an action).
  void lost(SessionId s) {
    open.erase(s);
    if (traffic == s) traffic = 0;
  }

  std::set<SessionId> open;
  SessionId traffic = 0;
  bool guard_traffic = false;  ///< check "never without a session" after every action
};

}  // namespace testing_support
}  // namespace gatelink::failover
