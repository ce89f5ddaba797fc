/* The floor of the benchmark: two TUN devices (each in a named network namespace) joined by the
 * simplest forwarder there is, one read and one write system call per packet, one thread per
 * direction, no offloads. With --offload the same loop opens both devices with a virtio-net header
 * and TSO/checksum offload and hands super-packets over whole: the floor (or rather ceiling) of any
 * read/write forwarder in passthrough mode, to compare `tuntap bridge --offload passthrough` with.
 * --page-offset=N puts each thread's buffer N bytes into a page (default 0): with N = 4032 the
 * payload of an IPv4 TCP super-packet starts 2 bytes before a page boundary, the placement whose
 * kernel copy is slow on AMD Zen (docs/benchmarks.md, "Buffer placement").
 * --tap opens TAP devices instead (one Ethernet frame per call): the floor for `bridge --tap`.
 * Usage: naive_forward [--offload] [--tap] [--page-offset=N] NETNS_A NAME_A NETNS_B NAME_B (runs
 * until killed). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int offload;
static int tap;
static size_t page_offset;

static int open_tun_in(const char* netns, const char* name) {
  char path[256];
  snprintf(path, sizeof path, "/var/run/netns/%s", netns);
  int home = open("/proc/thread-self/ns/net", O_RDONLY), target = open(path, O_RDONLY);
  if (home < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
    perror(netns);
    exit(1);
  }
  int fd = open("/dev/net/tun", O_RDWR);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = (tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0) {
    perror("TUNSETIFF");
    exit(1);
  }
  if (offload && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) != 0) {
    perror("TUNSETOFFLOAD");
    exit(1);
  }
  if (setns(home, CLONE_NEWNET) != 0) {
    perror("setns back");
    exit(1);
  }
  close(home);
  close(target);
  return fd;
}

struct pair {
  int from, to;
};

static void* forward(void* arg) {
  struct pair* p = arg;
  enum { capacity = 65536 + 64 }; /* a whole super-packet and its virtio-net header */
  char* page = aligned_alloc(4096, (page_offset + capacity + 4095) / 4096 * 4096); /* a multiple of the alignment */
  if (page == NULL) {
    perror("aligned_alloc");
    exit(1);
  }
  char* buf = page + page_offset;
  for (;;) {
    ssize_t n = read(p->from, buf, capacity);
    if (n <= 0) return NULL;
    if (write(p->to, buf, (size_t)n) < 0) { /* dropped, as a device would */
    }
  }
}

int main(int argc, char** argv) {
  const char* self = argv[0];
  int bad = 0;
  for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; ++argv, --argc) {
    char* end = NULL;
    if (strcmp(argv[1], "--offload") == 0) offload = 1;
    else if (strcmp(argv[1], "--tap") == 0) tap = 1;
    else if (strncmp(argv[1], "--page-offset=", 14) == 0) {
      page_offset = strtoul(argv[1] + 14, &end, 10);
      bad |= end == argv[1] + 14 || *end != '\0' || page_offset >= 4096;
    } else bad = 1;
  }
  if (bad || argc != 5) {
    fprintf(stderr, "usage: %s [--offload] [--tap] [--page-offset=N] NETNS_A NAME_A NETNS_B NAME_B\n", self);
    return 2;
  }
  int a = open_tun_in(argv[1], argv[2]), b = open_tun_in(argv[3], argv[4]);
  struct pair ab = {a, b}, ba = {b, a};
  pthread_t t1, t2;
  pthread_create(&t1, NULL, forward, &ab);
  pthread_create(&t2, NULL, forward, &ba);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
