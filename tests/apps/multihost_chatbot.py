"""The chatbot port with no agent instance on the core: every turn is served by a worker host."""

import copy

from chatbot.puma_app import CONFIG, SERVICES
from puma import puma_config, puma_service, puma_start

config = copy.deepcopy(CONFIG)
config["puma_services"]["agent"].update(instances=0, autoscale={"enabled": False})
puma_config(config)
puma_service(SERVICES)

if __name__ == "__main__":
    puma_start()
