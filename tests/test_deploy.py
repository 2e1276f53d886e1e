"""The committed docker/ folder is exactly what the generator makes today."""

from pathlib import Path

from node import deploy

ROOT = Path(__file__).resolve().parent.parent


def test_committed_docker_files_match_the_generator():
    """Regenerate docker/ in memory; every committed file must match byte for byte."""
    for name, text in deploy.render().items():
        committed = (ROOT / "docker" / name).read_text()
        assert committed == text, f"docker/{name} is stale: run `mulu docker --out docker`"


def test_compose_names_every_service_with_its_port_and_volume():
    """Each service gets a build, its loopback port mapping, a volume and a health check."""
    services = [deploy.Service("node0", 8500), deploy.Service("node1", 8501)]
    text = deploy.compose(services)
    for s in services:
        assert f"  {s.name}:" in text
        assert f'"127.0.0.1:{s.port}:{s.port}"' in text
        assert f"{s.name}-data:/data" in text
        assert f"mulu node start --home /data/{s.name} --api 0.0.0.0:{s.port}" in text


def test_dockerfile_copies_every_package():
    """The image holds all four packages the console script imports."""
    text = deploy.dockerfile()
    for package in ("chain", "node", "contracts", "cli"):
        assert f"COPY {package} ./{package}" in text
