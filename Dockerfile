# testgate in a container: `docker build -t testgate .` then
#   docker run --rm -v "$PWD:/work" testgate run
#   docker run --rm -p 127.0.0.1:8765:8765 -e TESTGATE_TOKEN -e TESTGATE_DB testgate serve --host 0.0.0.0
# docs/deploy.md walks through it; examples/compose/compose.yaml is the team stack.
ARG PYTHON_VERSION=3.12

# build the wheel from the source tree: the image installs exactly what `pip install` would
FROM python:${PYTHON_VERSION}-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim
LABEL org.opencontainers.image.title="testgate" \
      org.opencontainers.image.description="Run every test suite as one pipeline, gate the change, remember every run."
# git: commit, branch and new-code coverage come from the repository being tested (not pinned:
# a pinned Debian version stops building when the release updates it)
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /wheels /wheels
# the wheel with the extras a team's container needs: a PostgreSQL history, secret scanning and
# test generation (the Dask executor's extra, dask, is left out: it doubles the image).
# "$1" is the local wheel file, which hadolint's DL3013 (pin registry packages) mistakes for one
# hadolint ignore=DL3013
RUN set -- /wheels/*.whl \
    && python -m pip install --no-cache-dir "$1[postgres,secrets,generate]" \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin testgate
USER 10001:10001
# a mounted checkout belongs to another user: let git read it
RUN git config --global --add safe.directory '*'
WORKDIR /work
ENV PYTHONUNBUFFERED=1
EXPOSE 8765
ENTRYPOINT ["testgate"]
CMD ["--help"]
