// Running a loop body on a few threads: the fixup reads, edits and validates
// files in parallel, and keeps results by index so that the order of its
// report does not depend on the threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace ldpin::fixup {

// Calls fn(0) .. fn(n - 1) on `jobs` threads (0: one per core).
inline void parallelFor(size_t n, unsigned jobs,
                        const std::function<void(size_t)> &fn) {
  unsigned threads =
      jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, n));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;)
        fn(i);
    });
  for (std::thread &t : pool)
    t.join();
}

} // namespace ldpin::fixup
