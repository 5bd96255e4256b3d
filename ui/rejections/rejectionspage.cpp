// SPDX-License-Identifier: GPL-3.0-or-later
#include "rejections/rejectionspage.h"

#include "engine/runner.h"
#include "widgets/async.h"
#include "widgets/palettecolors.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QMap>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTreeView>
#include <QVBoxLayout>

namespace Sluice {

struct RejectionsPage::Loaded
{
    quint64 token = 0;
    QString sync;
    QString error;
    std::optional<RunRecord> run;
    QList<RejectionEntry> rejections;
};

RejectionsPage::RejectionsPage(QWidget *parent)
    : QWidget(parent)
    , m_sync(new QComboBox)
    , m_summary(new QLabel)
    , m_tree(new QTreeView)
    , m_model(new QStandardItemModel(this))
    , m_message(new QLabel)
    , m_payload(new QPlainTextEdit)
{
    setObjectName(QStringLiteral("rejectionsPage"));
    m_sync->setObjectName(QStringLiteral("rejectionsSyncFilter"));
    m_sync->setMinimumContentsLength(24);
    m_sync->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    connect(m_sync, &QComboBox::currentIndexChanged, this, &RejectionsPage::refresh);
    m_summary->setObjectName(QStringLiteral("rejectionsSummary"));
    m_summary->setTextFormat(Qt::PlainText);

    auto *top = new QHBoxLayout;
    top->setSpacing(8);
    top->addWidget(new QLabel(tr("Sync:")));
    top->addWidget(m_sync);
    top->addSpacing(12);
    top->addWidget(m_summary, 1);

    m_model->setHorizontalHeaderLabels({tr("Category / code / message / record"), tr("Records")});
    m_tree->setObjectName(QStringLiteral("rejectionsTree"));
    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { showRecord(current); });

    m_message->setObjectName(QStringLiteral("rejectionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_payload->setObjectName(QStringLiteral("rejectionPayload"));
    m_payload->setReadOnly(true);
    m_payload->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_payload->setPlaceholderText(tr("Select a record to see the payload that was sent."));

    auto *detail = new QWidget;
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    auto *detailTitle = new QLabel(tr("The destination said"));
    auto *payloadTitle = new QLabel(tr("Payload sent"));
    for (QLabel *label : {detailTitle, payloadTitle}) {
        QFont f = label->font();
        f.setWeight(QFont::DemiBold);
        label->setFont(f);
    }
    detailLayout->addWidget(detailTitle);
    detailLayout->addWidget(m_message);
    detailLayout->addSpacing(6);
    detailLayout->addWidget(payloadTitle);
    detailLayout->addWidget(m_payload, 1);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_tree);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);
}

void RejectionsPage::setWorkspace(const Workspace &workspace)
{
    m_workspace = workspace;
    m_hasWorkspace = true;
    const QString current = m_sync->currentData().toString();
    {
        const QSignalBlocker blocker(m_sync);
        m_sync->clear();
        for (const SyncDefinition &sync : workspace.syncs)
            m_sync->addItem(sync.name, sync.name);
        m_sync->setCurrentIndex(qMax(0, m_sync->findData(current)));
    }
    refresh();
}

void RejectionsPage::showSync(const QString &sync)
{
    const int index = m_sync->findData(sync);
    if (index >= 0 && index != m_sync->currentIndex())
        m_sync->setCurrentIndex(index);
}

void RejectionsPage::refresh()
{
    const QString sync = m_sync->currentData().toString();
    if (!m_hasWorkspace || sync.isEmpty()) {
        m_model->removeRows(0, m_model->rowCount());
        m_summary->setText(tr("No syncs in this workspace."));
        return;
    }
    const quint64 token = ++m_token;
    m_summary->setText(tr("Loading…"));
    runAsync(this, m_pool,
             [workspace = m_workspace, sync, token]() {
                 Loaded loaded;
                 loaded.token = token;
                 loaded.sync = sync;
                 auto store = openStateStore(workspace);
                 if (!store) {
                     loaded.error = store.error().message;
                     return loaded;
                 }
                 auto runs = (*store)->runs(sync, 1);
                 if (!runs) {
                     loaded.error = runs.error().message;
                     return loaded;
                 }
                 if (runs->isEmpty())
                     return loaded;
                 loaded.run = runs->first();
                 auto rejections = (*store)->rejections(sync, loaded.run->id);
                 if (!rejections)
                     loaded.error = rejections.error().message;
                 else
                     loaded.rejections = *rejections;
                 return loaded;
             },
             [this](const Loaded &loaded) { apply(loaded); });
}

void RejectionsPage::apply(const Loaded &loaded)
{
    if (loaded.token != m_token)
        return;
    m_model->removeRows(0, m_model->rowCount());
    m_payload->clear();
    m_message->clear();
    m_runId = loaded.run ? loaded.run->id : 0;
    const QLocale locale;
    if (!loaded.error.isEmpty()) {
        m_summary->setText(tr("Could not read rejections: %1").arg(loaded.error));
        Q_EMIT rejectionsLoaded();
        return;
    }
    if (!loaded.run) {
        m_summary->setText(tr("%1 has not run yet.").arg(loaded.sync));
        Q_EMIT rejectionsLoaded();
        return;
    }
    const RunRecord &run = *loaded.run;
    m_summary->setText(loaded.rejections.isEmpty()
                           ? tr("Run %1 (%2, %3): nothing rejected.")
                                 .arg(run.id)
                                 .arg(runStatusName(run.status), QLocale().toString(run.startedAt.toLocalTime(), QLocale::ShortFormat))
                           : tr("Run %1 (%2, %3): %4 records rejected.")
                                 .arg(run.id)
                                 .arg(runStatusName(run.status), QLocale().toString(run.startedAt.toLocalTime(), QLocale::ShortFormat),
                                      locale.toString(qsizetype(loaded.rejections.size()))));

    // category → code → message → entries
    QMap<QString, QMap<QString, QMap<QString, QList<const RejectionEntry *>>>> groups;
    for (const RejectionEntry &entry : loaded.rejections)
        groups[entry.category][entry.code][entry.message].append(&entry);

    const QColor negative = negativeColor(palette());
    auto countItem = [&locale](qsizetype n) {
        auto *item = new QStandardItem(locale.toString(n));
        item->setData(qint64(n), CountRole);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return item;
    };
    for (auto category = groups.cbegin(); category != groups.cend(); ++category) {
        qsizetype categoryCount = 0;
        auto *categoryItem = new QStandardItem(category.key());
        QFont bold = categoryItem->font();
        bold.setWeight(QFont::DemiBold);
        categoryItem->setFont(bold);
        categoryItem->setForeground(negative);
        for (auto code = category->cbegin(); code != category->cend(); ++code) {
            qsizetype codeCount = 0;
            auto *codeItem = new QStandardItem(code.key().isEmpty() ? tr("(no code)") : code.key());
            for (auto message = code->cbegin(); message != code->cend(); ++message) {
                auto *messageItem = new QStandardItem(message.key());
                messageItem->setToolTip(message.key());
                for (const RejectionEntry *entry : message.value()) {
                    auto *keyItem = new QStandardItem(tr("key %1").arg(entry->key));
                    keyItem->setData(entry->key, KeyRole);
                    keyItem->setData(entry->payload, PayloadRole);
                    keyItem->setData(tr("%1 · %2\n%3\n(after %n attempt(s), %4)", nullptr, entry->attempts)
                                         .arg(entry->category, entry->code, entry->message,
                                              QLocale().toString(entry->at.toLocalTime(), QLocale::ShortFormat)),
                                     MessageRole);
                    messageItem->appendRow({keyItem, new QStandardItem});
                }
                const qsizetype n = message->size();
                codeCount += n;
                codeItem->appendRow({messageItem, countItem(n)});
            }
            categoryCount += codeCount;
            categoryItem->appendRow({codeItem, countItem(codeCount)});
        }
        m_model->appendRow({categoryItem, countItem(categoryCount)});
    }
    // Open categories and codes; messages stay folded so the keys don't flood the view.
    // The first record is selected so its payload is on screen right away.
    if (m_model->rowCount() > 0) {
        QModelIndex first = m_model->index(0, 0);
        while (m_model->rowCount(first) > 0)
            first = m_model->index(0, 0, first);
        m_tree->expand(first.parent());
        m_tree->setCurrentIndex(first);
    }
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex category = m_model->index(row, 0);
        m_tree->expand(category);
        for (int child = 0; child < m_model->rowCount(category); ++child)
            m_tree->expand(m_model->index(child, 0, category));
    }
    Q_EMIT rejectionsLoaded();
}

void RejectionsPage::showRecord(const QModelIndex &current)
{
    const QModelIndex index = current.siblingAtColumn(0);
    const QByteArray payload = index.data(PayloadRole).toByteArray();
    if (index.data(KeyRole).isNull()) {
        m_payload->clear();
        m_message->setText(index.isValid() && index.parent().isValid() && !index.parent().parent().isValid()
                               ? QString()
                               : index.data(Qt::DisplayRole).toString());
        return;
    }
    m_message->setText(index.data(MessageRole).toString());
    const QJsonDocument document = QJsonDocument::fromJson(payload);
    m_payload->setPlainText(document.isNull() ? QString::fromUtf8(payload)
                                              : QString::fromUtf8(document.toJson(QJsonDocument::Indented)));
}

} // namespace Sluice
