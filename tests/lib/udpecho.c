// udpecho: answer every UDP datagram on PORT with "echo: " and the datagram,
// a server for the tests of published UDP ports (busybox has none).
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  char buf[2048] = "echo: ";
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  if (argc < 2 || bind(fd, (struct sockaddr *)&a, sizeof(a))) return 1;
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd, buf + 6, sizeof(buf) - 6, 0, (struct sockaddr *)&from, &len);
    if (n >= 0) sendto(fd, buf, n + 6, 0, (struct sockaddr *)&from, len);
  }
}
