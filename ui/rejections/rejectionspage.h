// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "definition/definition.h"
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
 * The Rejections page: the last run's rejections of one sync as a tree, category →
 * destination code → message → record keys, each level with its count. Selecting a key
 * shows the payload that was sent and the destination's message.
 */
class RejectionsPage : public QWidget
{
    Q_OBJECT

public:
    enum Role {
        CountRole = Qt::UserRole + 1,
        PayloadRole,
        MessageRole,
        KeyRole,
    };

    explicit RejectionsPage(QWidget *parent = nullptr);

    void setThreadPool(QThreadPool *pool) { m_pool = pool; }
    void setWorkspace(const Workspace &workspace);
    void showSync(const QString &sync);
    void refresh();

    [[nodiscard]] QComboBox *syncFilter() const { return m_sync; }
    [[nodiscard]] QTreeView *treeView() const { return m_tree; }
    [[nodiscard]] QStandardItemModel *model() const { return m_model; }
    [[nodiscard]] QPlainTextEdit *payloadView() const { return m_payload; }
    [[nodiscard]] QLabel *messageLabel() const { return m_message; }
    [[nodiscard]] qint64 runId() const { return m_runId; }

Q_SIGNALS:
    void rejectionsLoaded();

private:
    struct Loaded;
    void apply(const Loaded &loaded);
    void showRecord(const QModelIndex &index);

    QThreadPool *m_pool = nullptr;
    Workspace m_workspace;
    bool m_hasWorkspace = false;
    QComboBox *m_sync;
    QLabel *m_summary;
    QTreeView *m_tree;
    QStandardItemModel *m_model;
    QLabel *m_message;
    QPlainTextEdit *m_payload;
    qint64 m_runId = 0;
    quint64 m_token = 0;
};

} // namespace Sluice
