// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
#include "rejections/taxonomyview.h"
#include "store/statestore.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QStandardItemModel;
class QThreadPool;
class QTreeView;

namespace Sluice {

/**
 * The Rejections page: the rejection taxonomy (TaxonomyView: chart per category, tree
 * category → destination code → message → records, payload, response and history) of one
 * sync's latest run, any of its recent runs, or of every run in the last 24 h / 7 d / 30 d
 * of one sync or all, with the trend against the period before.
 */
class RejectionsPage : public QWidget
{
    Q_OBJECT

public:
    enum Role {
        CountRole = TaxonomyView::CountRole,
        PayloadRole = TaxonomyView::PayloadRole,
        MessageRole = TaxonomyView::MessageRole,
        KeyRole = TaxonomyView::KeyRole,
    };

    explicit RejectionsPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool);
    void setWorkspace(const Workspace &workspace);
    void showSync(const QString &sync);
    /** Shows one run of the chosen sync. */
    void showRun(qint64 runId);
    /** Shows the last `days` days (1, 7 or 30). */
    void showRange(int days);
    void refresh();

    [[nodiscard]] QComboBox *syncFilter() const { return m_sync; }
    [[nodiscard]] QComboBox *scopeFilter() const { return m_scope; }
    [[nodiscard]] TaxonomyView *taxonomy() const { return m_view; }
    [[nodiscard]] QTreeView *treeView() const { return m_view->treeView(); }
    [[nodiscard]] QStandardItemModel *model() const { return m_view->model(); }
    [[nodiscard]] QPlainTextEdit *payloadView() const { return m_view->payloadView(); }
    [[nodiscard]] QLabel *messageLabel() const { return m_view->messageLabel(); }
    [[nodiscard]] QLabel *summaryLabel() const { return m_summary; }
    /** The run shown (0 for a time range). */
    [[nodiscard]] qint64 runId() const { return m_runId; }

Q_SIGNALS:
    void rejectionsLoaded();
    void recordHistoryRequested(const QString &sync, const QString &key);

private:
    struct Loaded;
    void apply(const Loaded &loaded);

    QThreadPool *m_pool = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QComboBox *m_sync;
    QComboBox *m_scope;
    QLabel *m_summary;
    TaxonomyView *m_view;
    qint64 m_runId = 0;
    quint64 m_token = 0;
};

} // namespace Sluice
