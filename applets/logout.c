// logout.c: docker logout: forget a registry's credentials.
//
//applet:logout "<0 >1"
//config:config LOGOUT
//config:	bool "logout: log out from a registry"
//config:	default y
//config:	help
//config:	  usage: logout [SERVER]
//config:
//config:	  Remove the credentials for SERVER (Docker Hub when not given).

#define FOR_logout
#include "ocibox.h"
#include "generated/flags.h"

void logout_main(void)
{
  char key[300];
  int rc;

  creds_key(applet.argc ? applet.argv[0] : 0, key);
  if ((rc = creds_set(key, 0)) < 0) error_exit("%s", applet.why);
  if (rc == 1) printf("Not logged in to %s\n", key);
  else printf("Removing login credentials for %s\n", key);
}
