"""`python -m simulators`: serve the demo Magento and Omni simulators on loopback (scripts/demo)."""

import argparse
import os

from simulators.demo import run_demo_simulators


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--magento-port", type=int, default=8801)
    parser.add_argument("--omni-port", type=int, default=8802)
    parser.add_argument("--ims-port", type=int, default=8803, help="the fake Adobe IMS")
    parser.add_argument("--seed-orders", type=int, default=40)
    parser.add_argument("--orders-per-minute", type=float, default=3)
    parser.add_argument("--proxy-url", default="", help="play Omni's warehouse against it")
    args = parser.parse_args()
    run_demo_simulators(
        magento_port=args.magento_port,
        omni_port=args.omni_port,
        ims_port=args.ims_port,
        seed_orders=args.seed_orders,
        orders_per_minute=args.orders_per_minute,
        proxy_url=args.proxy_url,
        api_key=os.environ.get("DEMO_OMNI_API_KEY", ""),  # not on the command line: `ps` shows it
        returns_key=os.environ.get("DEMO_RETURNS_API_KEY", ""),
    )


if __name__ == "__main__":
    main()
