package org.distill4j.cli;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.distill4j.lm.model.Generator;
import org.distill4j.server.ModelServer;
import org.distill4j.server.ServedLanguageModel;
import org.distill4j.server.ServedModel;
import org.distill4j.server.ServedSavedModel;
import org.distill4j.server.ServedTorchScript;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code distill serve MODEL}: serves a distill4j model directory or a TorchScript file over HTTP
 * (Open Inference Protocol v2, and the OpenAI chat facade for text classifiers) until Ctrl-C; a
 * language-model directory ({@code model.json} of format {@code distill4j-lm}) is served on
 * OpenAI's {@code /v1/completions} and {@code /v1/chat/completions} instead. The base URL and
 * endpoints go to stdout; a port in use exits 2 naming the port.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve a model over HTTP: the Open Inference Protocol v2 (KServe / Triton REST) for every "
                    + "model, and an OpenAI-compatible /v1/chat/completions for text classifiers; a distill4j "
                    + "language model gets OpenAI-compatible /v1/completions and /v1/chat/completions. "
                    + "Concurrent requests are batched. Stops on Ctrl-C. See docs/serving.md.",
            "Exit codes: 2 bad options or the port is in use, 3 missing or invalid model, 6 signature check failed."
        })
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "MODEL",
            description = "A model directory written by distill4j (classifier or language model), or a TorchScript "
                    + "file (.pt; needs --input-shape).")
    Path modelPath;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            description = "Name in the URLs (default: the directory or file name).")
    String name;

    @Option(
            names = "--host",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "8080",
            description = "Port (default: ${DEFAULT-VALUE}; 0 for any free port).")
    int port;

    @Option(
            names = "--max-batch",
            paramLabel = "ROWS",
            defaultValue = "64",
            description =
                    "Most rows per forward pass and per request; for a language model also the most generations decoded together (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(
            names = "--lm-engine",
            paramLabel = "ENGINE",
            defaultValue = "auto",
            converter = LmEngineConverter.class,
            description = "Where a language model decodes generated tokens: jvm (each generation on a plain-Java"
                    + " decoder, fastest one at a time), djl (all in one batched pass per step) or auto (the JVM for as"
                    + " many generations as one DJL step costs JVM tokens, measured at start; the rest batched)"
                    + " (default: ${DEFAULT-VALUE}).")
    Generator.Engine lmEngine;

    /** Reads {@code jvm}, {@code djl} or {@code auto}, in any case. */
    static final class LmEngineConverter implements picocli.CommandLine.ITypeConverter<Generator.Engine> {
        @Override
        public Generator.Engine convert(String value) {
            for (Generator.Engine e : Generator.Engine.values()) {
                if (e.name().equalsIgnoreCase(value)) {
                    return e;
                }
            }
            throw new picocli.CommandLine.TypeConversionException(
                    "'" + value + "' is not an engine; expected jvm, djl or auto");
        }
    }

    @Option(
            names = "--max-wait-ms",
            paramLabel = "MS",
            defaultValue = "2",
            description = "Longest wait for more requests to batch with the first (default: ${DEFAULT-VALUE}).")
    int maxWaitMs;

    @Option(
            names = "--workers",
            paramLabel = "N",
            defaultValue = "16",
            description = "Request threads, the most requests in flight (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(
            names = "--max-request-bytes",
            paramLabel = "BYTES",
            defaultValue = "16777216",
            description = "Largest request body; larger get 413 (default: ${DEFAULT-VALUE}).")
    long maxRequestBytes;

    @Option(
            names = "--min-request-rate",
            paramLabel = "BYTES_PER_S",
            defaultValue = "1024",
            description = "Slowest request body after its first second, averaged; slower or stalled bodies get "
                    + "408 (default: ${DEFAULT-VALUE}; 0 for none).")
    long minRequestRate;

    @Option(
            names = "--body-timeout-s",
            paramLabel = "S",
            defaultValue = "30",
            description = "Longest time to receive a request body; later gets 408 (default: ${DEFAULT-VALUE}).")
    int bodyTimeoutS;

    @Option(
            names = "--header-timeout-s",
            paramLabel = "S",
            defaultValue = "10",
            description = "Close connections whose request headers take longer (default: ${DEFAULT-VALUE}).")
    int headerTimeoutS;

    @Option(
            names = "--idle-timeout-s",
            paramLabel = "S",
            defaultValue = "30",
            description = "Close connections idle this long (default: ${DEFAULT-VALUE}).")
    int idleTimeoutS;

    @Option(
            names = "--max-connections",
            paramLabel = "N",
            defaultValue = "1024",
            description = "Most open connections; further ones wait to be accepted (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(
            names = "--api-key-env",
            paramLabel = "VAR",
            description = "Require Authorization: Bearer <key>, the key read from environment variable VAR "
                    + "(never from the command line, where other users could see it).")
    String apiKeyEnv;

    @Option(
            names = "--api-keys-file",
            paramLabel = "FILE",
            description = "Accept any of the API keys in FILE, one per line (blank lines and lines starting with # "
                    + "are skipped); each key is a client of its own to --monitor, named by a fingerprint "
                    + "(key: + 16 hex digits of its SHA-256). Adds to --api-key-env.")
    Path apiKeysFile;

    @Option(
            names = "--admin-key-file",
            paramLabel = "FILE",
            description = "Open GET /admin/monitor (the extraction monitor's per-client status) to "
                    + "Authorization: Bearer <the key in FILE>, which must not be a client API key. Without it "
                    + "the admin endpoints are off.")
    Path adminKeyFile;

    @Option(
            names = "--input-shape",
            paramLabel = "DIMS",
            split = ",",
            description = "TorchScript only: shape of one input row, e.g. 16 or 1,28,28.")
    long[] inputShape;

    @Option(
            names = "--classes",
            paramLabel = "N",
            description = "TorchScript only: number of classes, checked against the module (default: discovered).")
    Integer classes;

    @Option(
            names = "--class-names",
            paramLabel = "NAMES",
            split = ",",
            description = "TorchScript only: class names in logit order, comma-separated (default: 0..C-1).")
    List<String> classNames;

    @CommandLine.Mixin
    SignatureOptions signature;

    @Option(
            names = "--watermark-key-file",
            paramLabel = "FILE",
            description = "Watermark every soft output (logits, probabilities, log-probabilities) with this key "
                    + "(made by distill audit --generate-watermark-key; docs/audit.md). Classifiers: top-1 never "
                    + "changes, the KL to the clean output is at most ln(1 + 2 amplitude). Language models (a key made "
                    + "with --lm): each next-token distribution's green tokens are raised by delta. The key is never "
                    + "shown.")
    Path watermarkKeyFile;

    @Option(
            names = "--monitor",
            paramLabel = "POLICY",
            converter = PolicyConverter.class,
            description = "Watch each client for bulk extraction and, once flagged: log, slow (one request per second, "
                    + "others 429) or degrade (top-1 only). Valid: log, slow, degrade (any case).")
    org.distill4j.guard.ExtractionMonitor.Policy monitorPolicy;

    /** Reads a --monitor policy in any case, as the docs write it in lower case ({@code --monitor slow}). */
    static final class PolicyConverter
            implements CommandLine.ITypeConverter<org.distill4j.guard.ExtractionMonitor.Policy> {
        @Override
        public org.distill4j.guard.ExtractionMonitor.Policy convert(String value) {
            for (org.distill4j.guard.ExtractionMonitor.Policy p :
                    org.distill4j.guard.ExtractionMonitor.Policy.values()) {
                if (p.name().equalsIgnoreCase(value)) {
                    return p;
                }
            }
            throw new CommandLine.TypeConversionException("expected log, slow or degrade but was '" + value + "'");
        }
    }

    @Option(
            names = "--monitor-budget",
            paramLabel = "ROWS",
            defaultValue = "10000",
            description = "With --monitor: rows a client may send per hour before it is flagged (default: "
                    + "${DEFAULT-VALUE}; 0 = no volume limit).")
    long monitorBudget;

    @Option(
            names = "--monitor-window-s",
            paramLabel = "S",
            defaultValue = "3600",
            description = "With --monitor: the window of --monitor-budget, in seconds (default: ${DEFAULT-VALUE}).")
    long monitorWindowS;

    @Option(
            names = "--record-queries",
            paramLabel = "DIR",
            description = "Record the inputs each client's answered requests sent, one JSON line per row in "
                    + "DIR/<model>/<client>.jsonl (texts, or feature rows), for a later watermark audit on them "
                    + "(distill audit --watermark-key-file F --data DIR/<model>/<client>.jsonl; docs/audit.md). "
                    + "It stores what clients sent: off by default. Classifiers only.")
    Path recordQueries;

    @Option(
            names = "--record-queries-max-rows",
            paramLabel = "ROWS",
            defaultValue = "10000",
            description = "With --record-queries: rows kept per client and model (default: ${DEFAULT-VALUE}, the "
                    + "most an audit uses); later rows are not recorded.")
    long recordQueriesMaxRows;

    /** Counted down by the shutdown hook; tests stop the command by interrupting its thread instead. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        List<String> apiKeys = apiKeys();
        String apiKey = apiKeys.isEmpty() ? null : apiKeys.get(0);
        String adminKey = adminKey(apiKeys);
        signature.check(spec.commandLine(), modelPath);
        boolean isLm = Files.isDirectory(modelPath) && ServedLanguageModel.isLanguageModel(modelPath);
        boolean tokenKey = watermarkKeyFile != null && org.distill4j.guard.TokenWatermark.isTokenKey(watermarkKeyFile);
        if (watermarkKeyFile != null && isLm != tokenKey && Files.isRegularFile(watermarkKeyFile)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--watermark-key-file " + watermarkKeyFile + " is a key for "
                            + (tokenKey ? "language models" : "classifiers") + ", but " + modelPath + " is a "
                            + (isLm ? "language model" : "classifier") + ": make its key with distill audit "
                            + "--generate-watermark-key FILE " + (isLm ? "--lm" : "--data DIR"));
        }
        if (isLm && recordQueries != null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--record-queries records the inputs of classifiers; " + modelPath
                            + " is a language model, which it does not support yet");
        }
        if (recordQueries == null
                && spec.commandLine().getParseResult().hasMatchedOption("--record-queries-max-rows")) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--record-queries-max-rows " + recordQueriesMaxRows
                            + " has no effect without --record-queries DIR");
        }
        if (recordQueriesMaxRows < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--record-queries-max-rows " + recordQueriesMaxRows + ": must be at least 1");
        }
        for (String opt : new String[] {"--monitor-budget", "--monitor-window-s"}) {
            if (monitorPolicy == null && spec.commandLine().getParseResult().hasMatchedOption(opt)) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        opt + " " + (opt.equals("--monitor-budget") ? monitorBudget : monitorWindowS)
                                + " has no effect without --monitor: add --monitor log, slow or degrade (the budget "
                                + "is the monitor's volume limit)");
            }
        }
        if (monitorWindowS < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--monitor-window-s " + monitorWindowS + ": must be at least 1 second");
        }
        if (monitorBudget < 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--monitor-budget " + monitorBudget + ": must be >= 0 (0 = no volume limit)");
        }
        org.distill4j.guard.WatermarkKey key =
                watermarkKeyFile == null || isLm ? null : org.distill4j.guard.WatermarkKey.load(watermarkKeyFile);
        org.distill4j.guard.TokenWatermark lmKey =
                watermarkKeyFile != null && isLm ? org.distill4j.guard.TokenWatermark.load(watermarkKeyFile) : null;
        ServedLanguageModel lm = isLm ? loadLanguageModel() : null;
        ServedModel model = isLm ? null : load();
        ModelServer server;
        try {
            // Inside the try: a guard that does not fit the model must not leak the loaded model.
            org.distill4j.server.ServingGuard guard = isLm ? guard(null, lmKey, null) : guard(key, null, model);
            ModelServer.Builder builder = ModelServer.builder()
                    .optHost(host)
                    .optPort(port)
                    .optMaxBatchRows(maxBatch)
                    .optLmEngine(lmEngine)
                    .optMaxWait(Duration.ofMillis(maxWaitMs))
                    .optWorkerThreads(workers)
                    .optApiKeys(apiKeys)
                    .optAdminKey(adminKey)
                    .optMaxRequestBytes(maxRequestBytes)
                    .optMinRequestDataRate(minRequestRate)
                    .optRequestBodyTimeout(Duration.ofSeconds(bodyTimeoutS))
                    .optIdleTimeout(Duration.ofSeconds(idleTimeoutS))
                    .optHeaderTimeout(Duration.ofSeconds(headerTimeoutS))
                    .optMaxConnections(maxConnections);
            if (recordQueries != null) {
                try {
                    builder.optQueryLog(org.distill4j.server.ServedQueryLog.open(recordQueries, recordQueriesMaxRows));
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("--record-queries " + recordQueries + ": " + e.getMessage(), e);
                }
            }
            if (guard != null) {
                builder.optRequestObserver(guard).optOutputFilter(guard);
                if (guard.monitoring()) {
                    builder.optMonitorStatus(guard::statusDocument);
                }
            }
            server = (isLm ? builder.addLanguageModel(lm) : builder.addModel(model)).build();
        } catch (IllegalArgumentException e) {
            if (isLm) {
                lm.close();
            } else {
                model.close();
            }
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            server.start();
        } catch (BindException e) {
            // start() closed the server and the model.
            System.err.println("distill: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        if (isLm) {
            printLanguageModelEndpoints(server, lm, apiKey != null);
        } else {
            printEndpoints(server, model, apiKey != null);
        }
        if (key != null) {
            System.err.println("distill: watermarking outputs with key " + key.fingerprint());
        }
        if (lmKey != null) {
            System.err.printf(
                    java.util.Locale.ROOT,
                    "distill: watermarking next-token distributions with key %s (gamma %s, delta %s, context %d%s)%n",
                    lmKey.fingerprint(),
                    lmKey.gamma(),
                    lmKey.delta(),
                    lmKey.context(),
                    lmKey.keepsTop() ? ", keeps the top token" : "");
        }
        if (recordQueries != null) {
            System.err.println("distill: recording each client's queries (up to " + recordQueriesMaxRows
                    + " rows) under " + recordQueries);
        }
        if (monitorPolicy != null) {
            System.err.println("distill: extraction monitor on, policy "
                    + monitorPolicy.name().toLowerCase()
                    + (monitorBudget > 0
                            ? ", budget " + monitorBudget + (isLm ? " novel log-probability positions" : " rows")
                                    + " per " + (monitorWindowS == 3600 ? "hour" : monitorWindowS + " s")
                                    + " per client"
                            : "")
                    + (adminKey != null ? "; status at GET /admin/monitor (admin key)" : ""));
        }
        Thread hook = new Thread(
                () -> {
                    System.err.println("distill: stopping the server");
                    server.close();
                    stopped.countDown();
                },
                "distill-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            // Embedded use (tests): an interrupt stops the server as Ctrl-C would.
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is already running and closes the server itself.
            }
            server.close();
            System.err.println("distill: server stopped");
        }
        return ExitCodes.OK;
    }

    /** The client keys: --api-key-env's, then --api-keys-file's; empty for none. */
    private List<String> apiKeys() throws IOException {
        List<String> keys = new java.util.ArrayList<>();
        if (apiKeyEnv != null) {
            String key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--api-key-env " + apiKeyEnv + ": environment variable " + apiKeyEnv
                                + " is not set or empty; export it with the key first");
            }
            keys.add(key.strip());
        }
        if (apiKeysFile != null) {
            List<String> lines = readKeyFile(apiKeysFile, "--api-keys-file");
            int added = 0;
            for (int i = 0; i < lines.size(); i++) {
                String k = lines.get(i).strip();
                if (k.isEmpty() || k.startsWith("#")) {
                    continue;
                }
                if (k.chars().anyMatch(Character::isWhitespace)) {
                    throw new CommandLine.ParameterException(
                            spec.commandLine(),
                            "--api-keys-file " + apiKeysFile + ": line " + (i + 1)
                                    + " holds whitespace inside a key; expected one key per line");
                }
                if (keys.contains(k)) {
                    throw new CommandLine.ParameterException(
                            spec.commandLine(),
                            "--api-keys-file " + apiKeysFile + ": line " + (i + 1)
                                    + " repeats a key given before; every client needs its own key");
                }
                keys.add(k);
                added++;
            }
            if (added == 0) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--api-keys-file " + apiKeysFile + ": no key in it; expected one key per line");
            }
        }
        return keys;
    }

    /** Where the client keys come from, for the start-up banner (never the keys). */
    private String keySource() {
        String env = apiKeyEnv == null ? null : "from $" + apiKeyEnv;
        String file = apiKeysFile == null ? null : "from " + apiKeysFile;
        return env != null && file != null ? env + " and " + file : env != null ? env : file;
    }

    /** The admin key from --admin-key-file, or null. */
    private String adminKey(List<String> clientKeys) throws IOException {
        if (adminKeyFile == null) {
            return null;
        }
        List<String> keys = readKeyFile(adminKeyFile, "--admin-key-file").stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        if (keys.size() != 1 || keys.get(0).chars().anyMatch(Character::isWhitespace)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--admin-key-file " + adminKeyFile + ": expected exactly one key on one line, found " + keys.size()
                            + " non-empty lines");
        }
        if (clientKeys.contains(keys.get(0))) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--admin-key-file " + adminKeyFile + ": this key is also a client API key; the admin key "
                            + "must be a key of its own");
        }
        return keys.get(0);
    }

    private List<String> readKeyFile(Path file, String option) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), option + " " + file + ": no such file (expected a file of keys)");
        }
        try {
            return Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), option + " " + file + ": not UTF-8 text (expected one key per line)");
        }
    }

    private ServedModel load() throws IOException {
        if (Files.isDirectory(modelPath)) {
            if (inputShape != null || classes != null || classNames != null) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--input-shape, --classes and "
                                + "--class-names are for TorchScript files; a model directory declares its own ("
                                + modelPath + ")");
            }
            return ServedSavedModel.load(name(modelPath.getFileName().toString()), modelPath);
        }
        if (!Files.isRegularFile(modelPath)) {
            throw new java.io.FileNotFoundException("model not found: " + modelPath
                    + " (expected a distill4j model directory or a TorchScript .pt file)");
        }
        if (inputShape == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    modelPath + " is a file, so it is served as "
                            + "TorchScript, which records no input shape: give --input-shape (e.g. --input-shape 16)");
        }
        List<String> names = classNames;
        if (classes != null) {
            if (classes < 2) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--classes " + classes + ": must be at least 2");
            }
            if (names != null && names.size() != classes) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--classes " + classes + " but " + names.size() + " --class-names " + names);
            }
            if (names == null) {
                names = java.util.stream.IntStream.range(0, classes)
                        .mapToObj(Integer::toString)
                        .toList();
            }
        }
        String file = modelPath.getFileName().toString();
        String base = file.endsWith(".pt") ? file.substring(0, file.length() - 3) : file;
        try {
            return ServedTorchScript.load(name(base), modelPath, inputShape, names);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private ServedLanguageModel loadLanguageModel() throws IOException {
        if (inputShape != null || classes != null || classNames != null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--input-shape, --classes and " + "--class-names are for TorchScript files; " + modelPath
                            + " is a language model");
        }
        return ServedLanguageModel.load(name(modelPath.getFileName().toString()), modelPath);
    }

    private void printLanguageModelEndpoints(ModelServer server, ServedLanguageModel lm, boolean keyed) {
        String base = server.baseUri().toString();
        String n = lm.name();
        System.out.printf("serving '%s' (%s; version %s) at %s%n", n, lm.describe(), lm.version(), base);
        System.out.printf(
                "  POST %s/v1/completions        (\"model\": \"%s\"; echo + logprobs score prompts)%n", base, n);
        System.out.printf("  POST %s/v1/chat/completions   (\"model\": \"%s\")%n", base, n);
        System.out.printf("  GET  %s/v1/models%n", base);
        System.out.printf("  GET  %s/v2/health/ready%n", base);
        System.out.printf(
                "batching: prompt scoring up to %d prompts per forward pass, waiting at most %d ms; " + "API key: %s%n",
                maxBatch, maxWaitMs, keyed ? "required (" + keySource() + ")" : "none");
        System.out.printf("generation: up to %d at once; %s%n", maxBatch, server.generationEngine(n));
        System.out.flush();
        if (!keyed && !host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("::1")) {
            System.err.println("distill: warning: listening on " + host + " without --api-key-env; anyone who "
                    + "can reach this port can use the model");
        }
        System.err.println("distill: press Ctrl-C to stop");
    }

    /** The served name: --name, else the file name made URL-safe. */
    private String name(String fallback) {
        String n = name != null ? name : fallback.replaceAll("[^A-Za-z0-9_.\\-]", "_");
        try {
            return ServedModel.checkName(n);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--name: " + e.getMessage());
        }
    }

    /** The guard (watermark, extraction monitor) the options ask for; null without them. */
    private org.distill4j.server.ServingGuard guard(
            org.distill4j.guard.WatermarkKey key, org.distill4j.guard.TokenWatermark lmKey, ServedModel model) {
        if (key == null && lmKey == null && monitorPolicy == null) {
            return null;
        }
        // model is null for a language model, which gets no key (refused earlier).
        boolean text = key != null && model.textFeatures().isPresent();
        if (key != null && text != (key.input() == org.distill4j.guard.WatermarkKey.Input.NGRAM_IDS)) {
            throw new IllegalArgumentException("--watermark-key-file " + watermarkKeyFile + ": key " + key.fingerprint()
                    + " was drawn for " + (text ? "dense inputs (pixels or features)" : "texts (n-gram ids)")
                    + ", but " + modelPath + " is a model of " + (text ? "text" : "dense inputs")
                    + ": make a key from the model's own kind of data (distill audit --generate-watermark-key)");
        }
        org.distill4j.guard.Watermark watermark = key == null
                ? null
                : new org.distill4j.guard.Watermark(
                        key, model.rowSize(), model.classNames().size());
        org.distill4j.guard.ExtractionMonitor monitor = null;
        if (monitorPolicy != null) {
            org.distill4j.guard.ExtractionMonitor.Config d =
                    org.distill4j.guard.ExtractionMonitor.Config.defaults(monitorPolicy);
            monitor = new org.distill4j.guard.ExtractionMonitor(new org.distill4j.guard.ExtractionMonitor.Config(
                    d.policy(),
                    d.delta(),
                    d.minDistances(),
                    d.checkEvery(),
                    d.window(),
                    monitorBudget,
                    Duration.ofSeconds(monitorWindowS),
                    d.maxStored()));
        }
        return new org.distill4j.server.ServingGuard(
                watermark, lmKey, monitor, Duration.ofSeconds(1), java.time.Clock.systemUTC());
    }

    private void printEndpoints(ModelServer server, ServedModel model, boolean keyed) {
        String base = server.baseUri().toString();
        String n = model.name();
        System.out.printf("serving '%s' (%s; version %s) at %s%n", n, model.describe(), model.version(), base);
        System.out.printf("  GET  %s/v2/health/ready%n", base);
        System.out.printf("  GET  %s/v2/models/%s%n", base, n);
        System.out.printf("  POST %s/v2/models/%s/infer%n", base, n);
        if (model.textFeatures().isPresent()) {
            System.out.printf("  POST %s/v1/chat/completions   (\"model\": \"%s\")%n", base, n);
            System.out.printf("  GET  %s/v1/models%n", base);
        }
        System.out.printf(
                "batching: up to %d rows per forward pass, waiting at most %d ms; API key: %s%n",
                maxBatch, maxWaitMs, keyed ? "required (" + keySource() + ")" : "none");
        System.out.flush();
        if (!keyed && !host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("::1")) {
            System.err.println("distill: warning: listening on " + host + " without --api-key-env; anyone who "
                    + "can reach this port can use the model");
        }
        System.err.println("distill: press Ctrl-C to stop");
    }
}
