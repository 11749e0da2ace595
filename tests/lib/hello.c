// hello.c: the hello-world image's /hello (Docker's greeting), static.
#include <unistd.h>
#include <string.h>

#if defined(__x86_64__)
#define ARCH "amd64"
#elif defined(__aarch64__)
#define ARCH "arm64v8"
#else
#define ARCH "unknown"
#endif

static const char msg[] =
  "\n"
  "Hello from Docker!\n"
  "This message shows that your installation appears to be working correctly.\n"
  "\n"
  "To generate this message, Docker took the following steps:\n"
  " 1. The Docker client contacted the Docker daemon.\n"
  " 2. The Docker daemon pulled the \"hello-world\" image from the Docker Hub.\n"
  "    (" ARCH ")\n"
  " 3. The Docker daemon created a new container from that image which runs the\n"
  "    executable that produces the output you are currently reading.\n"
  " 4. The Docker daemon streamed that output to the Docker client, which sent it\n"
  "    to your terminal.\n"
  "\n"
  "To try something more ambitious, you can run an Ubuntu container with:\n"
  " $ docker run -it ubuntu bash\n"
  "\n"
  "Share images, automate workflows, and more with a free Docker ID:\n"
  " https://hub.docker.com/\n"
  "\n"
  "For more examples and ideas, visit:\n"
  " https://docs.docker.com/get-started/\n"
  "\n";

int main(void)
{
  return write(1, msg, sizeof(msg) - 1) == (ssize_t)(sizeof(msg) - 1) ? 0 : 1;
}
