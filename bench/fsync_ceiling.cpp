// fsync_ceiling: how many durable new files per second this disk takes, single-threaded.
//
//   fsync_ceiling DIR [--seconds S] [--max-files N]
//
// Loop (bounded by S seconds and N files): open DIR/tmp/<i> O_CREAT|O_EXCL, write 4 KiB, fsync,
// close, rename to DIR/new/<i>. This is the Maildir delivery pattern without the directory fsync,
// and the figure the issue compares against ("fsync ceiling about 3,000 new files/s").
// Also measures, for comparison with the spool's group commit, appends of 4 KiB + fdatasync to
// one already existing file. Prints one JSON object. The files are left in DIR on purpose: on
// ext4 without a journal (this VM's root), creating files right after deleting many is much
// slower (the inode allocator skips inodes deleted in the last 60-360 s, see bench/README.md),
// so bench.py deletes everything only after all measurements.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: fsync_ceiling DIR [--seconds S] [--max-files N]\n");
        return 2;
    }
    std::string dir = argv[1];
    double seconds = 5;
    long max_files = 200000;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--seconds") seconds = std::atof(argv[i + 1]);
        else if (a == "--max-files") max_files = std::atol(argv[i + 1]);
    }
    mkdir(dir.c_str(), 0700);
    mkdir((dir + "/tmp").c_str(), 0700);
    mkdir((dir + "/new").c_str(), 0700);
    std::vector<char> block(4096, 'x');

    // 1. new file + write + fsync + rename.
    long files = 0;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    while (files < max_files && Clock::now() < deadline) {
        std::string tmp = dir + "/tmp/" + std::to_string(files);
        std::string dst = dir + "/new/" + std::to_string(files);
        int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, block.data(), block.size()) != 4096 || fsync(fd) != 0) {
            std::perror("fsync_ceiling");
            return 1;
        }
        close(fd);
        if (rename(tmp.c_str(), dst.c_str()) != 0) {
            std::perror("rename");
            return 1;
        }
        ++files;
    }
    double file_secs = std::chrono::duration<double>(Clock::now() - start).count();

    // 2. append 4 KiB + fdatasync to one file (the spool's pattern, one sync per group).
    std::string log = dir + "/append.log";
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    long appends = 0;
    start = Clock::now();
    deadline = start + std::chrono::duration<double>(seconds / 2);
    while (fd >= 0 && appends < max_files && Clock::now() < deadline) {
        if (write(fd, block.data(), block.size()) != 4096 || fdatasync(fd) != 0) {
            std::perror("append");
            return 1;
        }
        ++appends;
    }
    double append_secs = std::chrono::duration<double>(Clock::now() - start).count();
    if (fd >= 0) close(fd);
    std::printf(
        "{\"new_files\": %ld, \"seconds\": %.3f, \"new_files_per_s\": %.1f, \"appends\": %ld, "
        "\"append_seconds\": %.3f, \"append_fdatasync_per_s\": %.1f}\n",
        files, file_secs, static_cast<double>(files) / file_secs, appends, append_secs,
        static_cast<double>(appends) / append_secs);
    return 0;
}
