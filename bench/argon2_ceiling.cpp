// argon2_ceiling: what one password verification costs on this machine, measured directly with
// the server's own code (mw::auth::hash_password / verify_password, default argon2id cost).
//
//   argon2_ceiling [--seconds S] [--threads T]
//
// 1. Hashes one password with the default cost (the hash string carries m=, t=, p=).
// 2. One thread verifies it repeatedly for S seconds (at most 1,000 times): wall time, thread
//    CPU time and time spent runnable but waiting for a core (/proc/thread-self/schedstat) per
//    verification (median and minimum). On a quiet machine wall ≈ CPU; the run-queue wait shows
//    how much of the wall time other work on the machine took.
// 3. T threads (default 2, the size of the server's blocking pool) verify concurrently for S
//    seconds: verifications per second for the whole process and process CPU per verification.
// Peak resident memory (VmHWM) is read after each step: each concurrent verification holds its
// own m KiB block. Every verification must succeed (a wrong result exits 1). Prints one JSON
// object. Build: cmake -DMW_BUILD_BENCH=ON, target mw_bench_argon2_ceiling (links mw_auth).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/password_hash.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_of(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long vm_hwm_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

// Nanoseconds this thread has waited on a run queue (second field of schedstat), or -1.
double runqueue_wait_ms() {
    std::ifstream f("/proc/thread-self/schedstat");
    double on_cpu = 0, waiting = -1e6;
    f >> on_cpu >> waiting;
    return waiting / 1e6;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 5;
    int threads = 2;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (a == "--threads" && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: argon2_ceiling [--seconds S] [--threads T]\n");
            return 2;
        }
    }
    if (seconds <= 0 || seconds > 120 || threads < 1 || threads > 64) {
        std::fprintf(stderr, "argon2_ceiling: --seconds must be in (0, 120], --threads in 1..64\n");
        return 2;
    }
    const std::string password = "bench-pw";
    const long hwm_start = vm_hwm_kib();
    const auto hash = mw::auth::hash_password(password);
    if (!hash) {
        std::fprintf(stderr, "argon2_ceiling: hashing failed: %s\n", hash.error().c_str());
        return 1;
    }

    // Step 2: one thread.
    std::vector<double> wall_ms, cpu_ms, wait_ms;
    const auto single_deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < single_deadline && wall_ms.size() < 1000) {
        const auto t0 = Clock::now();
        const double c0 = seconds_of(CLOCK_THREAD_CPUTIME_ID);
        const double w0 = runqueue_wait_ms();
        if (!mw::auth::verify_password(password, *hash)) {
            std::fprintf(stderr, "argon2_ceiling: verification of the right password failed\n");
            return 1;
        }
        cpu_ms.push_back((seconds_of(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e3);
        wait_ms.push_back(runqueue_wait_ms() - w0);
        wall_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    const long hwm_single = vm_hwm_kib();

    // Step 3: `threads` at once.
    std::atomic<long> done{0}, wrong{0};
    const double pcpu0 = seconds_of(CLOCK_PROCESS_CPUTIME_ID);
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::chrono::duration<double>(seconds);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (int n = 0; n < 1000 && Clock::now() < deadline; ++n) {
                if (mw::auth::verify_password(password, *hash))
                    ++done;
                else
                    ++wrong;
            }
        });
    }
    for (auto& t : pool) t.join();
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double pcpu = seconds_of(CLOCK_PROCESS_CPUTIME_ID) - pcpu0;
    if (wrong.load() != 0) {
        std::fprintf(stderr, "argon2_ceiling: %ld concurrent verifications failed\n", wrong.load());
        return 1;
    }
    const std::string params = hash->substr(0, hash->find('$', hash->find("$m=") + 1));
    std::printf(
        "{\"hash_params\": \"%s\", \"single_verifications\": %zu, \"single_wall_ms_median\": %.2f, "
        "\"single_wall_ms_min\": %.2f, \"single_cpu_ms_median\": %.2f, \"single_cpu_ms_min\": %.2f, "
        "\"single_runqueue_wait_ms_median\": %.2f, \"threads\": %d, "
        "\"concurrent_verifications\": %ld, \"concurrent_seconds\": %.3f, "
        "\"concurrent_per_s\": %.2f, \"concurrent_cpu_ms_per_verify\": %.2f, "
        "\"vmhwm_kib_start\": %ld, \"vmhwm_kib_single\": %ld, \"vmhwm_kib_concurrent\": %ld}\n",
        params.c_str(), wall_ms.size(), median(wall_ms),
        *std::min_element(wall_ms.begin(), wall_ms.end()), median(cpu_ms),
        *std::min_element(cpu_ms.begin(), cpu_ms.end()), median(wait_ms), threads, done.load(), wall,
        static_cast<double>(done.load()) / wall, pcpu * 1e3 / static_cast<double>(done.load()),
        hwm_start, hwm_single, vm_hwm_kib());
    return 0;
}
