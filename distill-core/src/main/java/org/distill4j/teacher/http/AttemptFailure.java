package org.distill4j.teacher.http;

import java.time.Duration;
import java.util.Optional;

/** The outcome of one attempt that produced no usable response. */
record AttemptFailure(ErrorKind kind, String message, Optional<Duration> retryAfter) {}
