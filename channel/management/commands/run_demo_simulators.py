from django.core.management.base import BaseCommand, CommandParser

from channel.simulators.demo import run_demo_simulators


class Command(BaseCommand):
    help = "Serve the demo Magento and Omni simulators on loopback (used by scripts/demo)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--magento-port", type=int, default=8801)
        parser.add_argument("--omni-port", type=int, default=8802)
        parser.add_argument("--seed-orders", type=int, default=40)
        parser.add_argument("--orders-per-minute", type=float, default=3)
        parser.add_argument("--proxy-url", default="", help="play Omni's warehouse against it")
        parser.add_argument("--api-key", default="")

    def handle(self, *args: object, **options: object) -> None:
        run_demo_simulators(
            magento_port=options["magento_port"],
            omni_port=options["omni_port"],
            seed_orders=options["seed_orders"],
            orders_per_minute=options["orders_per_minute"],
            proxy_url=options["proxy_url"],
            api_key=options["api_key"],
        )
