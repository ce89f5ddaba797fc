/* The floor of the benchmark: two TUN devices (each in a named network namespace) joined by the
 * simplest forwarder there is, one read and one write system call per packet, one thread per
 * direction, no offloads. With --offload the same loop opens both devices with a virtio-net header
 * and TSO/checksum offload and hands super-packets over whole: the floor (or rather ceiling) of any
 * read/write forwarder in passthrough mode, to compare `tuntap bridge --offload passthrough` with.
 * Usage: naive_forward [--offload] NETNS_A NAME_A NETNS_B NAME_B (runs until killed). */
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

static int open_tun_in(const char *netns, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/var/run/netns/%s", netns);
  int home = open("/proc/thread-self/ns/net", O_RDONLY), target = open(path, O_RDONLY);
  if (home < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) { perror(netns); exit(1); }
  int fd = open("/dev/net/tun", O_RDWR);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0) { perror("TUNSETIFF"); exit(1); }
  if (offload && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) != 0) { perror("TUNSETOFFLOAD"); exit(1); }
  if (setns(home, CLONE_NEWNET) != 0) { perror("setns back"); exit(1); }
  close(home);
  close(target);
  return fd;
}

struct pair { int from, to; };

static void *forward(void *arg) {
  struct pair *p = arg;
  static __thread char buf[65536 + 64]; /* a whole super-packet and its virtio-net header */
  for (;;) {
    ssize_t n = read(p->from, buf, sizeof buf);
    if (n <= 0) return NULL;
    if (write(p->to, buf, (size_t)n) < 0) { /* dropped, as a device would */ }
  }
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "--offload") == 0) {
    offload = 1;
    ++argv;
    --argc;
  }
  if (argc != 5) { fprintf(stderr, "usage: %s [--offload] NETNS_A NAME_A NETNS_B NAME_B\n", argv[0]); return 2; }
  int a = open_tun_in(argv[1], argv[2]), b = open_tun_in(argv[3], argv[4]);
  struct pair ab = {a, b}, ba = {b, a};
  pthread_t t1, t2;
  pthread_create(&t1, NULL, forward, &ab);
  pthread_create(&t2, NULL, forward, &ba);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}
