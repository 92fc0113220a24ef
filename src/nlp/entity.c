/*
 * entity.c — the one function of entity.h: the name of an entity's
 * source, as the API and the logs print it ("pattern", "catalogue", "crf").
 */
#include "kefu/entity.h"

const char *kf_entity_source_name(enum kf_entity_source s)
{
    switch (s) {
    case KF_ENT_PATTERN:
        return "pattern";
    case KF_ENT_CATALOGUE:
        return "catalogue";
    case KF_ENT_CRF:
        return "crf";
    }
    return "unknown";
}
