"""The chatbot port with no agent instance on the core: every turn is served by a worker host."""

from puma import puma_config, puma_service, puma_start
from tests.helpers import chatbot_app

port = chatbot_app(instances=0, autoscale={"enabled": False})
puma_config(port.config_data)
puma_service(port.targets)

if __name__ == "__main__":
    puma_start()
