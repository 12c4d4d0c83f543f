package org.distill4j.model;

import java.util.List;

/** Validation shared by the architecture records; messages name the field and what is allowed. */
final class Specs {

    private Specs() {}

    static List<Integer> widths(String field, List<Integer> widths, boolean mayBeEmpty) {
        if (widths == null) {
            if (mayBeEmpty) {
                return List.of();
            }
            throw new IllegalArgumentException(field + " is required: a list of widths > 0");
        }
        if (widths.isEmpty() && !mayBeEmpty) {
            throw new IllegalArgumentException(field + " must list at least one width > 0");
        }
        for (int i = 0; i < widths.size(); i++) {
            Integer w = widths.get(i);
            if (w == null || w <= 0 || w > 1 << 16) {
                throw new IllegalArgumentException(
                        "illegal width " + w + " at " + field + "[" + i + "], must be in [1, 65536]");
            }
        }
        return List.copyOf(widths);
    }

    /** Appends dense layers, each followed by the activation and (if dropout &gt; 0) dropout. */
    static ai.djl.nn.SequentialBlock denseLayers(
            ai.djl.nn.SequentialBlock net, List<Integer> widths, Activation activation, double dropout) {
        for (int width : widths) {
            net.add(ai.djl.nn.core.Linear.builder().setUnits(width).build()).add(activation.block());
            if (dropout > 0) {
                net.add(ai.djl.nn.norm.Dropout.builder()
                        .optRate((float) dropout)
                        .build());
            }
        }
        return net;
    }

    static double dropout(double dropout) {
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("illegal dropout value: " + dropout + ", must be in [0, 1)");
        }
        return dropout;
    }
}
