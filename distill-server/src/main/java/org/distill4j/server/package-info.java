/** Serving distill4j models over HTTP (Open Inference Protocol v2, OpenAI-compatible facade). */
package org.distill4j.server;
