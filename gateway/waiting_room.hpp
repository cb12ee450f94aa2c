#pragma once
// Connections that found every handshake slot taken wait here, oldest first, for a slot to free
// up instead of being told busy at once: a herd arriving faster than the gateway handshakes is
// then served at the gateway's own pace rather than bounced to the next gateway within
// milliseconds. Bounded in all and per source (as the slots are), and in time: whoever waits
// longer than the patience is told busy after all. Pure: no sockets, time passed in.

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "handshake_slots.hpp"

namespace gatelink::gateway {

template <typename T>
class WaitingRoom {
 public:
  using Clock = std::chrono::steady_clock;

  struct Waiting {
    T item;
    SourceKey source;
    Clock::time_point since;
  };

  /// `capacity` 0: nobody waits (every busy connection is told so at once).
  WaitingRoom(std::size_t capacity, std::size_t per_source, std::chrono::milliseconds patience)
      : capacity_(capacity), per_source_(per_source), patience_(patience) {}

  /// Lets `item` wait, unless the room or its source's share of it is full (then it is handed
  /// back, to be told busy).
  std::optional<T> enter(T item, const SourceKey& source, Clock::time_point now) {
    if (queue_.size() >= capacity_) return item;
    auto& held = by_source_[source];
    if (held >= per_source_) {
      if (held == 0) by_source_.erase(source);
      return item;
    }
    ++held;
    queue_.push_back(Waiting{std::move(item), source, now});
    return std::nullopt;
  }

  /// Everyone who has waited the patience or longer at `now`, oldest first, out of the room
  /// (so a timer set for next_expiry() always finds the one it was set for).
  std::vector<Waiting> expire(Clock::time_point now) {
    std::vector<Waiting> out;
    while (!queue_.empty() && now - queue_.front().since >= patience_) out.push_back(pop());
    return out;
  }

  /// The one who has waited longest, out of the room.
  std::optional<Waiting> take() {
    if (queue_.empty()) return std::nullopt;
    return pop();
  }

  /// When the one who has waited longest runs out of patience; nullopt when nobody waits.
  std::optional<Clock::time_point> next_expiry() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.front().since + patience_;
  }

  /// Empties the room (a drain), oldest first.
  std::vector<Waiting> clear() {
    std::vector<Waiting> out;
    while (!queue_.empty()) out.push_back(pop());
    return out;
  }

  std::size_t size() const { return queue_.size(); }
  std::size_t size(const SourceKey& source) const {
    const auto it = by_source_.find(source);
    return it == by_source_.end() ? 0 : it->second;
  }
  std::size_t capacity() const { return capacity_; }
  std::chrono::milliseconds patience() const { return patience_; }

 private:
  Waiting pop() {
    Waiting w = std::move(queue_.front());
    queue_.pop_front();
    if (auto it = by_source_.find(w.source); it != by_source_.end() && --it->second == 0) {
      by_source_.erase(it);
    }
    return w;
  }

  std::size_t capacity_;
  std::size_t per_source_;
  std::chrono::milliseconds patience_;
  std::deque<Waiting> queue_;  ///< in order of arrival: `since` never decreases
  /// Only sources with someone waiting: the table never outgrows `capacity_` entries.
  std::unordered_map<SourceKey, std::size_t, SourceKeyHash> by_source_;
};

}  // namespace gatelink::gateway
