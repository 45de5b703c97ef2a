# One Dockerfile, three images: `--target producer` and `--target consumer` (docker-compose.yml builds both), and
# `--target consumer-python`: the consumer with Python and a worker script for `exec:` (docs/exec-workers.md: Python on the fleet).
# The tags are the SDK and runtime this repository is built and tested with; bump them together with global.json.
# No `# syntax=` line: the builder's own Dockerfile frontend is enough, and fetching one from a registry breaks offline
# and mirror-only builds. Where those images cannot be pulled, scripts/build-standin-images.sh builds local stand-ins
# and docker-compose.standins.yml passes them here (docs/deployment.md: With Docker Compose).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.401-noble
# The services are Native AOT executables (bench/NOTEBOOK.md: start-up and CPU), so the runtime image needs no .NET.
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0.12-noble

FROM ${SDK_IMAGE} AS build
# The Native AOT compiler links with clang.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore from the project files alone first, so the package layer is reused until a project file changes.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY src/Streaming.Messaging/Streaming.Messaging.csproj src/Streaming.Messaging/
COPY src/Producer/Producer.csproj src/Producer/
COPY src/Streaming.Processing/Streaming.Processing.csproj src/Streaming.Processing/
COPY src/Consumer/Consumer.csproj src/Consumer/
# NU1900 (vulnerability data could not be fetched) stays a warning: behind a private feed or a mirror without the
# audit endpoint it is no finding about the packages, and TreatWarningsAsErrors would fail the build on it. A known
# vulnerability (NU1901-NU1904) still fails it.
RUN dotnet restore src/Producer/Producer.csproj -p:Native=true -p:WarningsNotAsErrors=NU1900 \
 && dotnet restore src/Consumer/Consumer.csproj -p:Native=true -p:WarningsNotAsErrors=NU1900
COPY src/ src/
# The runtime images get the executables and their appsettings.json only: no symbols (.dbg, .pdb) and no XML docs.
RUN dotnet publish src/Producer/Producer.csproj -c Release -p:Native=true --no-restore -o /out/producer \
 && dotnet publish src/Consumer/Consumer.csproj -c Release -p:Native=true --no-restore -o /out/consumer \
 && find /out \( -name '*.dbg' -o -name '*.pdb' -o -name '*.xml' \) -delete

FROM ${RUNTIME_IMAGE} AS service
# The services refresh this file while their broker connection is open and delete it while it is not
# (Health:File); the health check wants it refreshed within the last 30 s, which also catches a hung process.
ENV Health__File=/tmp/streaming.healthy \
    Health__IntervalSeconds=5
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/bin/sh", "-c", "f=/tmp/streaming.healthy; [ -f \"$f\" ] && [ $(( $(date +%s) - $(stat -c %Y \"$f\") )) -lt 30 ]"]
WORKDIR /app
# The runtime images ship a non-root user `app` (uid and gid 1654, $APP_UID).
USER $APP_UID

FROM service AS consumer
COPY --from=build /out/consumer/ /app/
ENTRYPOINT ["/app/Consumer"]

FROM service AS producer
COPY --from=build /out/producer/ /app/
ENV Watch__Data=/data
ENTRYPOINT ["/app/Producer"]
CMD ["watch", "--data", "/data"]

# The consumer with python3 and an exec: worker: the folder PYTHON_WORKER (default: the sample) is copied to
# /app/python/worker/ and its worker.py runs through sdk/python/streaming_worker.py (on PYTHONPATH). Dependencies:
# a requirements.txt in that folder is installed with pip. The folder is on PYTHONPATH too, with the streaming package:
# a consumer of a streaming.Pool pipeline runs the function of a module there (docs/python.md),
#   docker run ... my-consumer --pipeline mymodule.process_data --processor "exec:python3 -m streaming.worker mymodule:process_data"
#   docker build --target consumer-python --build-arg PYTHON_WORKER=path/to/your/folder -t my-consumer .
FROM consumer AS consumer-python
ARG PYTHON_WORKER=samples/python
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip \
 && rm -rf /var/lib/apt/lists/*
COPY sdk/python/streaming_worker.py /app/python/
COPY sdk/python/streaming/ /app/python/streaming/
COPY ${PYTHON_WORKER}/ /app/python/worker/
RUN if [ -f /app/python/worker/requirements.txt ]; then \
        pip3 install --no-cache-dir --break-system-packages -r /app/python/worker/requirements.txt; \
    fi
ENV PYTHONPATH=/app/python:/app/python/worker
USER $APP_UID
# The processor is an argument, not Consumer__Processor: the command line wins over the environment, so compose's
# CONSUMER_PROCESSOR (which every consumer gets) cannot turn this image back into `identity`.
CMD ["--processor", "exec:python3 /app/python/worker/worker.py"]
